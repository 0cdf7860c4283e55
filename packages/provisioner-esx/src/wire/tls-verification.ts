import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';
import { TlsVerificationFailedError, InvalidInputError } from '@provkit/core';

/**
 * How the vSphere endpoint's certificate is checked. Default: the system's CAs and the host
 * name, as any HTTPS client. `caFile`/`ca` trust a private CA (or a self-signed certificate);
 * `thumbprint` pins the certificate by its SHA-1 or SHA-256 fingerprint, as vSphere shows it
 * (`AB:CD:…`). Turning verification off takes the loudly named `insecureSkipTlsVerify: true`.
 */
export interface VimTlsOptions {
  caFile?: string;
  /** PEM text of the CAs to trust (instead of `caFile`). */
  ca?: string;
  /** SHA-1 (40 hex digits) or SHA-256 (64 hex digits) fingerprint; colons and case do not matter. */
  thumbprint?: string;
  /** Accept any certificate. Anyone on the path can then read the session and the password. */
  insecureSkipTlsVerify?: boolean;
}

/** The verification a client applies to each new TLS connection. */
export interface TlsVerifier {
  /** Options for `tls.connect`. */
  connectOptions: tls.ConnectionOptions;
  /** Checks a connected socket; returns an error to refuse it. */
  check(socket: tls.TLSSocket, host: string): Error | undefined;
  /** Maps a handshake failure to a typed error. */
  mapError(error: Error & { code?: string }, host: string): Error;
  insecure: boolean;
}

function normalizeThumbprint(value: string): { algorithm: 'sha1' | 'sha256'; hex: string } {
  const hex = value.replace(/[:\s]/g, '').toUpperCase();
  if (/^[0-9A-F]{40}$/.test(hex)) return { algorithm: 'sha1', hex };
  if (/^[0-9A-F]{64}$/.test(hex)) return { algorithm: 'sha256', hex };
  throw new InvalidInputError('tls.thumbprint', 'expected a SHA-1 (40 hex digits) or SHA-256 (64 hex digits) fingerprint');
}

/** Reads a CA file; a missing, unreadable or non-PEM file is refused before any connection. */
function readCaFile(path: string): string {
  if (typeof path !== 'string' || path === '') throw new InvalidInputError('tls.caFile', 'must be a non-empty path');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'unreadable';
    throw new InvalidInputError('tls.caFile', `cannot read ${path} (${code})`, { cause: error });
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new InvalidInputError('tls.caFile', `${path} holds no PEM certificate`);
  return text;
}

const CERTIFICATE_ERRORS = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ALTNAME|EE_KEY_TOO_SMALL/;

/** Builds the verifier for the options; refuses contradictory options before any connection. */
export function tlsVerifier(options: VimTlsOptions = {}): TlsVerifier {
  const chosen = [options.caFile !== undefined || options.ca !== undefined, options.thumbprint !== undefined, options.insecureSkipTlsVerify === true].filter(Boolean).length;
  if (chosen > 1) throw new InvalidInputError('tls', 'choose one of a CA (caFile/ca), a pinned thumbprint, or insecureSkipTlsVerify');
  const mapError = (error: Error & { code?: string }, host: string): Error =>
    error.code && CERTIFICATE_ERRORS.test(error.code) ? new TlsVerificationFailedError(host, 'a certificate trusted by the configured CAs', `an untrusted certificate (${error.code})`, { cause: error }) : error;
  if (options.insecureSkipTlsVerify === true) {
    return { connectOptions: { rejectUnauthorized: false }, check: () => undefined, mapError, insecure: true };
  }
  if (options.thumbprint !== undefined) {
    const pin = normalizeThumbprint(options.thumbprint);
    return {
      // The chain is not what is trusted here: the pinned certificate is.
      connectOptions: { rejectUnauthorized: false },
      check: (socket, host) => {
        const certificate = socket.getPeerCertificate();
        const actual = (pin.algorithm === 'sha1' ? certificate.fingerprint : certificate.fingerprint256) ?? '';
        if (actual.replace(/:/g, '').toUpperCase() === pin.hex) return undefined;
        return new TlsVerificationFailedError(host, `certificate ${pin.algorithm.toUpperCase()} ${options.thumbprint}`, `${pin.algorithm.toUpperCase()} ${actual || 'none'}`);
      },
      mapError,
      insecure: false,
    };
  }
  const ca = options.ca ?? (options.caFile === undefined ? undefined : readCaFile(options.caFile));
  return { connectOptions: { rejectUnauthorized: true, ...(ca === undefined ? {} : { ca }) }, check: () => undefined, mapError, insecure: false };
}
