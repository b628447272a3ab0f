import { IsInt, IsString, Length, Min } from 'class-validator';

/**
 * A product and a quantity, with the product's name as it was when the line was written. Events of
 * the order, kitchen and delivery services each keep such a copy: exactly the denormalized data the
 * notes worry about. Read models show the current name by following `ProductRenamed`.
 */
export class LineItem {
  @IsString() @Length(1, 60) productId: string;
  @IsString() productName: string;
  @IsInt() @Min(1) quantity: number;
  constructor(productId: string, productName: string, quantity: number) {
    this.productId = productId;
    this.productName = productName;
    this.quantity = quantity;
  }
}

/** An order line: a {@link LineItem} with the unit price (in won) charged for it. */
export class PricedLine extends LineItem {
  @IsInt() @Min(0) unitPrice: number;
  constructor(productId: string, productName: string, quantity: number, unitPrice: number) {
    super(productId, productName, quantity);
    this.unitPrice = unitPrice;
  }
}
