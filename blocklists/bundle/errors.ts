/** Why a bundle was refused. Each reason has its own code so callers and tests can tell them apart. */
export type BundleErrorCode =
  | 'truncated'
  | 'bad-magic'
  | 'unsupported-version'
  | 'corrupt'
  | 'unknown-key'
  | 'bad-signature'
  | 'expired'
  | 'sequence-rollback'
  | 'wrong-list';

export class BundleError extends Error {
  constructor(
    readonly code: BundleErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'BundleError';
  }
}
