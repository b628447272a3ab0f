import type { ServiceIdentifier } from 'inversify';
import type { Catalog } from './order/orderDesk';
import type { CardGateway } from './payment/cardGateway';

/** Injection tokens for the shop's services that have no class of their own. */
export const SHOP_TOKENS = {
  /** The order service's view of the menu. */
  Catalog: Symbol.for('energy-bar-shop:Catalog') as ServiceIdentifier<Catalog>,
  /** The card gateway the payment service charges. */
  CardGateway: Symbol.for('energy-bar-shop:CardGateway') as ServiceIdentifier<CardGateway>,
} as const;
