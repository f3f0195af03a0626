/**
 * A plain HTTP/1.1 client over one keep-alive agent, for the demo's many small requests to
 * the local server (webhook POSTs, clicks, orders): lighter on CPU than `fetch`, so the
 * machine's time goes to the product, not to the demo's client. Redirects are not followed.
 */
import { Agent, request as httpRequest } from 'node:http';

const agent = new Agent({ keepAlive: true, maxSockets: 32 });

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export function request(method: 'GET' | 'POST' | 'PUT', url: string, headers: Record<string, string> = {}, body?: string): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, agent, headers: body !== undefined ? { ...headers, 'content-length': String(Buffer.byteLength(body)) } : headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Closes the agent's idle sockets (the end of a run). */
export function closeHttpClient(): void {
  agent.destroy();
}
