import {
  validateSync,
  type ValidationError as ClassValidatorError,
  type ValidatorOptions,
} from 'class-validator';
import { ValidationError, type FieldViolation } from '../errors/errors';

/** Flattens class-validator's nested errors into dotted field paths. */
export function toViolations(errors: readonly ClassValidatorError[], prefix = ''): FieldViolation[] {
  const out: FieldViolation[] = [];
  for (const error of errors) {
    const path = prefix ? `${prefix}.${error.property}` : error.property;
    if (error.constraints && Object.keys(error.constraints).length > 0) {
      out.push({
        path,
        constraints: { ...error.constraints },
        ...(error.value === undefined ? {} : { value: error.value }),
      });
    }
    if (error.children?.length) out.push(...toViolations(error.children, path));
  }
  return out;
}

/**
 * Validates an instance of a class-validator class.
 * @throws ValidationError listing every field and failed constraint.
 */
export function validateObject(instance: object, target: string, options: ValidatorOptions): void {
  const errors = validateSync(instance, options);
  if (errors.length > 0) throw new ValidationError(target, toViolations(errors));
}
