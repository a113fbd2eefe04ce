/** A list the extension subscribes to, and the key it must be signed by. */
export interface Subscription {
  url: string;
  /** `kalkan-ed25519-public <base64>`: the publisher key this list must be signed by. */
  publicKey: string;
}
