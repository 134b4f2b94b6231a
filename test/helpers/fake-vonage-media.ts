// A stand-in for Vonage's media API on loopback: serves files at /v1/files/<id> only to a request
// whose Bearer JWT is RS256-signed by the test application's key (checked against the public
// half) and carries application_id, iat, a jti never seen before and an exp in the future. Each
// file can fail its first requests (503) and be cut off mid-transfer once, to prove retries, or
// be held back until the test lets it go.

import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeFile {
  body: Buffer;
  contentType: string;
  /** Requests answered 503 before the file is served. */
  failFirst?: number;
  /** The first request that would be served gets half the body and a cut connection. */
  cutOnce?: boolean;
  /** The file is served once this settles: the download is in flight meanwhile. */
  heldUntil?: Promise<void>;
}

export interface FakeMediaServer {
  url: string;
  /** Requests per file id, whatever their answer. */
  requests: Map<string, number>;
  /** Requests refused for a bad token, with the reason. */
  refused: string[];
  add(id: string, file: FakeFile): string;
  close(): Promise<void>;
}

function decode(part: string): Record<string, unknown> | null {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** The reason a token is not one our application signed for a download, or null when it is. */
function checkToken(authorization: string | undefined, publicKey: KeyObject, applicationId: string, seenJtis: Set<string>): string | null {
  const match = /^Bearer ([\w-]+)\.([\w-]+)\.([\w-]+)$/.exec(authorization ?? '');
  if (!match) return 'no bearer token';
  const [, headerPart, claimsPart, signaturePart] = match;
  const header = decode(headerPart!);
  if (header?.alg !== 'RS256') return 'not RS256';
  const signed = verify('RSA-SHA256', Buffer.from(`${headerPart}.${claimsPart}`), publicKey, Buffer.from(signaturePart!, 'base64url'));
  if (!signed) return 'bad signature';
  const claims = decode(claimsPart!);
  const nowSeconds = Date.now() / 1000;
  if (claims?.application_id !== applicationId) return 'wrong application_id';
  if (typeof claims.iat !== 'number' || Math.abs(claims.iat - nowSeconds) > 60) return 'bad iat';
  if (typeof claims.exp !== 'number' || claims.exp <= nowSeconds) return 'expired';
  if (typeof claims.jti !== 'string' || claims.jti === '') return 'no jti';
  if (seenJtis.has(claims.jti)) return 'jti replayed';
  seenJtis.add(claims.jti);
  return null;
}

export async function startFakeMediaServer(publicKeyPem: string, applicationId: string): Promise<FakeMediaServer> {
  const publicKey = createPublicKey(publicKeyPem);
  const files = new Map<string, FakeFile & { failuresLeft: number; cutLeft: boolean }>();
  const requests = new Map<string, number>();
  const refused: string[] = [];
  const seenJtis = new Set<string>();

  const server: Server = createServer(async (req, res) => {
    const id = /^\/v1\/files\/([\w-]+)$/.exec(req.url ?? '')?.[1];
    if (id) requests.set(id, (requests.get(id) ?? 0) + 1);
    const reason = checkToken(req.headers.authorization, publicKey, applicationId, seenJtis);
    if (reason !== null) {
      refused.push(reason);
      res.writeHead(401).end();
      return;
    }
    const file = id === undefined ? undefined : files.get(id);
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    if (file.failuresLeft > 0) {
      file.failuresLeft -= 1;
      res.writeHead(503).end();
      return;
    }
    await file.heldUntil;
    res.writeHead(200, { 'content-type': file.contentType, 'content-length': String(file.body.length) });
    if (file.cutLeft) {
      file.cutLeft = false;
      res.write(file.body.subarray(0, file.body.length >> 1), () => res.socket?.destroy());
      return;
    }
    res.end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    requests,
    refused,
    add(id, file) {
      files.set(id, { ...file, failuresLeft: file.failFirst ?? 0, cutLeft: file.cutOnce ?? false });
      return `${url}/v1/files/${id}`;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
