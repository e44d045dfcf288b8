/**
 * Ephemeral key shares for the TLS 1.3 key exchange through WebCrypto: X25519 first,
 * P-256 or P-384 when a HelloRetryRequest asks for one (RFC 8446 §4.2.8).
 */
import { Group, groupName } from "./messages";

export interface KeyShare {
  group: number;
  /** What goes on the wire: 32 bytes for X25519, the uncompressed point for P-256/P-384. */
  publicKey: Uint8Array;
  /** The shared secret with the server's share: for NIST curves the X coordinate (RFC 8446 §7.4.2). */
  sharedSecret(peer: Uint8Array): Promise<Uint8Array>;
}

type KeyAlgorithm = { name: "ECDH"; namedCurve: string } | { name: "X25519" };

const ALGORITHMS: Record<number, { gen: KeyAlgorithm; bits: number }> = {
  [Group.x25519]: { gen: { name: "X25519" }, bits: 256 },
  [Group.secp256r1]: { gen: { name: "ECDH", namedCurve: "P-256" }, bits: 256 },
  [Group.secp384r1]: { gen: { name: "ECDH", namedCurve: "P-384" }, bits: 384 },
};

export function supportsGroup(group: number): boolean {
  return group in ALGORITHMS;
}

export async function generateKeyShare(group: number): Promise<KeyShare> {
  const algo = ALGORITHMS[group];
  if (!algo) throw new Error(`no key exchange for group ${groupName(group)}`);
  const pair = (await crypto.subtle.generateKey(algo.gen, true, ["deriveBits"])) as CryptoKeyPair;
  const publicKey = new Uint8Array((await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer);
  return {
    group,
    publicKey,
    async sharedSecret(peer) {
      const peerKey = await crypto.subtle.importKey("raw", peer as BufferSource, algo.gen, false, []);
      // workers-types spells the member `$public` (a generator artefact); the runtime reads `public`.
      const params = { name: algo.gen.name, public: peerKey } as unknown as Parameters<SubtleCrypto["deriveBits"]>[0];
      return new Uint8Array(await crypto.subtle.deriveBits(params, pair.privateKey, algo.bits));
    },
  };
}
