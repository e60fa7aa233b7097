/**
 * Bodies the proxy holds in memory: a request's body is kept until its answer is sent, since a
 * request refused for its token is sent again. Each body has a limit, and all bodies held at once
 * share a budget, so that many large uploads together cannot exhaust the proxy's memory.
 */
import type { Readable } from 'node:stream';

/** What reading a body gave. */
export type BodyRead =
  | { readonly kind: 'body'; readonly body: Buffer; readonly release: () => void }
  /** Over the per-body limit; `drained` says whether the rest was read to its end. */
  | { readonly kind: 'too-large'; readonly drained: boolean }
  /** Over the budget shared by all bodies held at once; `drained` as above. */
  | { readonly kind: 'busy'; readonly drained: boolean };

export class BodyBudget {
  private held = 0;

  /**
   * @param limit the largest body, in bytes
   * @param total the most bytes held at once across every body
   */
  constructor(
    readonly limit: number,
    readonly total: number,
  ) {}

  /** Bytes held now (for tests). */
  get inUse(): number {
    return this.held;
  }

  /**
   * Reads a whole body and holds its bytes until `release()`. Past a limit the bytes read so far
   * are let go and the rest is read and dropped, so the client can finish sending and read the
   * refusal instead of meeting a reset; past one more `limit` of dropped bytes it stops reading
   * (`drained: false`: the caller then closes the connection after answering).
   */
  read(stream: Readable): Promise<BodyRead> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      let dropped = 0;
      let refusal: 'too-large' | 'busy' | null = null;
      const letGo = () => {
        this.held -= kept;
        kept = 0;
        chunks.length = 0;
      };
      stream.on('data', (chunk: Buffer) => {
        if (refusal !== null) {
          dropped += chunk.length;
          if (dropped > this.limit) {
            stream.pause();
            stream.removeAllListeners('data');
            resolve({ kind: refusal, drained: false });
          }
          return;
        }
        if (kept + chunk.length > this.limit || this.held + chunk.length > this.total) {
          refusal = kept + chunk.length > this.limit ? 'too-large' : 'busy';
          letGo();
          dropped = chunk.length;
          return;
        }
        kept += chunk.length;
        this.held += chunk.length;
        chunks.push(chunk);
      });
      stream.on('end', () => {
        if (refusal !== null) {
          resolve({ kind: refusal, drained: true });
          return;
        }
        let released = false;
        const size = kept;
        kept = 0; // from now on the bytes are the caller's to release
        resolve({
          kind: 'body',
          body: Buffer.concat(chunks),
          release: () => {
            if (!released) {
              released = true;
              this.held -= size;
            }
          },
        });
      });
      const abort = (error: Error) => {
        letGo();
        reject(error);
      };
      stream.on('error', abort);
      // A client that goes away mid-body: nothing to answer, nothing to hold.
      stream.on('close', () => {
        if (!stream.readableEnded && refusal === null) {
          abort(new Error('the client closed the connection before the body ended'));
        }
      });
    });
  }
}
