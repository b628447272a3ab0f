/** Ids of orders, payments, tickets and deliveries: short, URL- and stream-safe. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/;
/** The message for a property that breaks {@link ID_PATTERN}. */
export const ID_MESSAGE =
  '$property must be 1-40 letters, digits, "_" or "-", starting with a letter or digit';
