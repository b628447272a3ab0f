import { ValidationError } from '@rewind/core';
import {
  AddProduct,
  ChangePrice,
  Menu,
  NothingToChange,
  PriceChanged,
  ProductAdded,
  ProductAlreadyOnMenu,
  ProductNotOnMenu,
  ProductRenamed,
  ProductWithdrawn,
  RenameProduct,
  WithdrawProduct,
} from '@rewind/energy-bar-shop';
import { aggregateSpec } from '@rewind/testing';

const menu = aggregateSpec(Menu);
const added = new ProductAdded('main', 'energy-bar', 'energy bar', 2500);

describe(Menu.name, () => {
  describe('add a product', () => {
    it('creates the menu with its first product', () =>
      menu.when(AddProduct.of('main', 'energy-bar', 'energy bar', 2500)).then(added));

    it('adds a second product to an existing menu', () =>
      menu
        .given(added)
        .when(AddProduct.of('main', 'oat-bar', 'oat bar', 2000))
        .then(new ProductAdded('main', 'oat-bar', 'oat bar', 2000)));

    it('rejects a product that is already on the menu', () =>
      menu
        .given(added)
        .when(AddProduct.of('main', 'energy-bar', 'another bar', 1000))
        .thenThrows(ProductAlreadyOnMenu, 'already on menu'));

    it('puts a withdrawn product back', () =>
      menu
        .given(added, new ProductWithdrawn('main', 'energy-bar'))
        .when(AddProduct.of('main', 'energy-bar', 'energy bar', 2700))
        .then(new ProductAdded('main', 'energy-bar', 'energy bar', 2700)));

    it('rejects a price below 100 won and a product id that is not a slug, naming both fields', async () => {
      await menu
        .when(AddProduct.of('main', 'Energy Bar!', 'energy bar', 5))
        .thenThrows(ValidationError, /productId.*price|price.*productId/);
    });
  });

  describe('rename a product', () => {
    it('raises ProductRenamed with the old and the new name', () =>
      menu
        .given(added)
        .when(RenameProduct.of('main', 'energy-bar', 'energy bar+'))
        .then(new ProductRenamed('main', 'energy-bar', 'energy bar', 'energy bar+')));

    it('rejects renaming to the same name', () =>
      menu
        .given(added)
        .when(RenameProduct.of('main', 'energy-bar', 'energy bar'))
        .thenThrows(NothingToChange));

    it('rejects renaming a product the menu does not have', () =>
      menu
        .given(added)
        .when(RenameProduct.of('main', 'kale-bar', 'kale bar'))
        .thenThrows(ProductNotOnMenu));

    it('rejects renaming a withdrawn product', () =>
      menu
        .given(added, new ProductWithdrawn('main', 'energy-bar'))
        .when(RenameProduct.of('main', 'energy-bar', 'energy bar+'))
        .thenThrows(ProductNotOnMenu));

    it('rejects an empty name', () =>
      menu
        .given(added)
        .when(RenameProduct.of('main', 'energy-bar', ''))
        .thenThrows(ValidationError, /name/));
  });

  describe('change a price', () => {
    it('raises PriceChanged with the old and the new price', () =>
      menu
        .given(added)
        .when(ChangePrice.of('main', 'energy-bar', 2600))
        .then(new PriceChanged('main', 'energy-bar', 2500, 2600)));

    it('applies earlier price changes before comparing', () =>
      menu
        .given(added, new PriceChanged('main', 'energy-bar', 2500, 2600))
        .when(ChangePrice.of('main', 'energy-bar', 2600))
        .thenThrows(NothingToChange, '2600'));

    it('rejects a fractional price', () =>
      menu
        .given(added)
        .when(ChangePrice.of('main', 'energy-bar', 2500.5))
        .thenThrows(ValidationError, /price/));
  });

  describe('withdraw a product', () => {
    it('raises ProductWithdrawn', () =>
      menu
        .given(added)
        .when(WithdrawProduct.of('main', 'energy-bar'))
        .then(new ProductWithdrawn('main', 'energy-bar')));

    it('rejects withdrawing twice', () =>
      menu
        .given(added, new ProductWithdrawn('main', 'energy-bar'))
        .when(WithdrawProduct.of('main', 'energy-bar'))
        .thenThrows(ProductNotOnMenu));
  });
});
