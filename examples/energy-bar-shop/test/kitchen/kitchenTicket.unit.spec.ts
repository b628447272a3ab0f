import { AggregateNotFoundError, ValidationError } from '@rewind/core';
import {
  FinishTicket,
  KitchenTicket,
  LineItem,
  OpenTicket,
  ReleaseTicket,
  StartTicket,
  TicketClosed,
  TicketMade,
  TicketNotReady,
  TicketOpened,
  TicketReleased,
  TicketStarted,
  TicketVoided,
  VoidTicket,
} from '@rewind/energy-bar-shop';
import { aggregateSpec } from '@rewind/testing';

const ticket = aggregateSpec(KitchenTicket);
const items = [new LineItem('energy-bar', 'energy bar', 2)];
const opened = new TicketOpened('1001', '1001', items);
const released = new TicketReleased('1001', '1001');
const started = new TicketStarted('1001', '1001', 'Hana');

describe(KitchenTicket.name, () => {
  describe('open', () => {
    it('raises TicketOpened, held until the payment is captured', () =>
      ticket.when(OpenTicket.of('1001', '1001', items)).then(opened));

    it('rejects a ticket without items', () =>
      ticket.when(OpenTicket.of('1001', '1001', [])).thenThrows(ValidationError, /items/));
  });

  describe('release', () => {
    it('queues a held ticket', () => ticket.given(opened).when(ReleaseTicket.of('1001')).then(released));

    it('ignores a repeated release, even once the cook started', () =>
      ticket.given(opened, released, started).when(ReleaseTicket.of('1001')).thenNothing());
  });

  describe('start', () => {
    it('raises TicketStarted with the cook', () =>
      ticket.given(opened, released).when(StartTicket.of('1001', 'Hana')).then(started));

    it('rejects starting a ticket whose payment is not captured', () =>
      ticket.given(opened).when(StartTicket.of('1001', 'Hana')).thenThrows(TicketNotReady, 'payment'));

    it('rejects a ticket that does not exist', () =>
      ticket.when(StartTicket.of('1001', 'Hana')).thenThrows(AggregateNotFoundError));
  });

  describe('finish', () => {
    it('raises TicketMade', () =>
      ticket
        .given(opened, released, started)
        .when(FinishTicket.of('1001'))
        .then(new TicketMade('1001', '1001')));

    it('rejects finishing a ticket nobody started', () =>
      ticket.given(opened, released).when(FinishTicket.of('1001')).thenThrows(TicketNotReady));

    it('rejects finishing a made ticket again', () =>
      ticket
        .given(opened, released, started, new TicketMade('1001', '1001'))
        .when(FinishTicket.of('1001'))
        .thenThrows(TicketClosed, 'made'));
  });

  describe('void', () => {
    it('voids a held ticket: nothing is made', () =>
      ticket
        .given(opened)
        .when(VoidTicket.of('1001', 'payment declined'))
        .then(new TicketVoided('1001', '1001', 'payment declined')));

    it('ignores a repeated void', () =>
      ticket
        .given(opened, new TicketVoided('1001', '1001', 'payment declined'))
        .when(VoidTicket.of('1001', 'payment declined'))
        .thenNothing());

    it('rejects voiding a ticket being made', () =>
      ticket
        .given(opened, released, started)
        .when(VoidTicket.of('1001', 'too late'))
        .thenThrows(TicketNotReady));

    it('rejects releasing a voided ticket', () =>
      ticket
        .given(opened, new TicketVoided('1001', '1001', 'payment declined'))
        .when(ReleaseTicket.of('1001'))
        .thenThrows(TicketClosed, 'voided'));
  });
});
