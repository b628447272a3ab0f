import { IsInt, IsString, Length, Matches, Max, Min } from 'class-validator';
import { AggregateId } from '@rewind/core';

/** Menu and product ids: lowercase slugs such as `energy-bar`. */
export const SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const SLUG_MESSAGE = '$property must be a lowercase slug such as "energy-bar"';

/** Puts a new product on the menu. Creates the menu on its first product. */
export class AddProduct {
  @AggregateId() @Matches(SLUG_PATTERN, { message: SLUG_MESSAGE }) menuId!: string;
  @Matches(SLUG_PATTERN, { message: SLUG_MESSAGE }) productId!: string;
  @IsString() @Length(1, 60) name!: string;
  /** Price in won. */
  @IsInt() @Min(100) @Max(1_000_000) price!: number;

  /** Builds the command from its fields. */
  static of(menuId: string, productId: string, name: string, price: number): AddProduct {
    return Object.assign(new AddProduct(), { menuId, productId, name, price });
  }
}

/** Renames a product: every read model that shows its name follows. */
export class RenameProduct {
  @AggregateId() @Matches(SLUG_PATTERN, { message: SLUG_MESSAGE }) menuId!: string;
  @Matches(SLUG_PATTERN, { message: SLUG_MESSAGE }) productId!: string;
  @IsString() @Length(1, 60) name!: string;

  /** Builds the command from its fields. */
  static of(menuId: string, productId: string, name: string): RenameProduct {
    return Object.assign(new RenameProduct(), { menuId, productId, name });
  }
}

/** Sets a product's price (in won). */
export class ChangePrice {
  @AggregateId() @Matches(SLUG_PATTERN, { message: SLUG_MESSAGE }) menuId!: string;
  @Matches(SLUG_PATTERN, { message: SLUG_MESSAGE }) productId!: string;
  @IsInt() @Min(100) @Max(1_000_000) price!: number;

  /** Builds the command from its fields. */
  static of(menuId: string, productId: string, price: number): ChangePrice {
    return Object.assign(new ChangePrice(), { menuId, productId, price });
  }
}

/** Takes a product off the menu. */
export class WithdrawProduct {
  @AggregateId() @Matches(SLUG_PATTERN, { message: SLUG_MESSAGE }) menuId!: string;
  @Matches(SLUG_PATTERN, { message: SLUG_MESSAGE }) productId!: string;

  /** Builds the command from its fields. */
  static of(menuId: string, productId: string): WithdrawProduct {
    return Object.assign(new WithdrawProduct(), { menuId, productId });
  }
}
