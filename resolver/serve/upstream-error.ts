/** Why no upstream answered: the error the forward stage turns into SERVFAIL with an EDE. */

/** RFC 8914: no upstream could be asked / the network said no. */
export const EDE_NO_REACHABLE_AUTHORITY = 22;
export const EDE_NETWORK_ERROR = 23;

/** Why no upstream answered, with the Extended DNS Error the client gets. */
export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly ede: number,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}
