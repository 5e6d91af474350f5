/**
 * A minimal Chrome DevTools Protocol client, for the HTML report's browser test and `npm run screenshot`
 * (no dependency): Chromium is started with `--remote-debugging-pipe`, and speaks CDP over its fds 3 (what
 * it reads) and 4 (what it writes), one JSON message per NUL-terminated chunk. Every call has a time
 * limit, and `close()` kills the browser if it does not quit by itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

/** The browsers tried, in order (Debian: chromium-headless-shell, chromium). */
export const BROWSERS = ['chromium-headless-shell', 'chromium', 'google-chrome'];

/** The first of BROWSERS on the PATH (or $TLS_HARNESS_CHROMIUM), or undefined. */
export function findBrowser(): string | undefined {
  const forced = process.env.TLS_HARNESS_CHROMIUM;
  if (forced) return forced;
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const b of BROWSERS) {
    for (const d of dirs) {
      const p = join(d, b);
      try {
        accessSync(p, constants.X_OK);
        return p;
      } catch {
        /* not here */
      }
    }
  }
  return undefined;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class Cdp {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(method: string, params: Record<string, unknown>, sessionId?: string) => void>();
  private buf = '';
  private exited = false;
  private stderr = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly profile: string,
    readonly timeoutMs: number,
  ) {
    const out = child.stdio[4] as Readable;
    out.setEncoding('utf8');
    out.on('data', (d: string) => {
      this.buf += d;
      for (let at = this.buf.indexOf('\0'); at >= 0; at = this.buf.indexOf('\0')) {
        const msg = JSON.parse(this.buf.slice(0, at)) as { id?: number; result?: unknown; error?: { message: string }; method?: string; params?: Record<string, unknown>; sessionId?: string };
        this.buf = this.buf.slice(at + 1);
        if (msg.id !== undefined) {
          const p = this.pending.get(msg.id);
          if (!p) continue;
          this.pending.delete(msg.id);
          clearTimeout(p.timer);
          if (msg.error) p.reject(new Error(`CDP: ${msg.error.message}`));
          else p.resolve(msg.result);
        } else if (msg.method) for (const l of this.listeners) l(msg.method, msg.params ?? {}, msg.sessionId);
      }
    });
    child.stderr?.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-2000)));
    child.on('exit', () => {
      this.exited = true;
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(new Error(`the browser exited${this.stderr ? `: ${this.stderr.trim().split('\n').slice(-1)[0]}` : ''}`));
      }
      this.pending.clear();
    });
  }

  /** Starts the browser (headless, its own temporary profile). */
  static async launch(executable: string, opts: { timeoutMs?: number; width?: number; height?: number } = {}): Promise<Cdp> {
    const profile = mkdtempSync(join(tmpdir(), 'tls-harness-chromium-'));
    const args = [
      '--headless',
      '--remote-debugging-pipe',
      '--no-sandbox',
      '--disable-gpu',
      `--user-data-dir=${profile}`,
      '--no-first-run',
      '--no-default-browser-check',
      '--disable-extensions',
      '--disable-background-networking',
      '--allow-file-access-from-files',
      `--window-size=${opts.width ?? 1280},${opts.height ?? 900}`,
      'about:blank',
    ];
    const child = spawn(executable, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
    const cdp = new Cdp(child, profile, opts.timeoutMs ?? 20_000);
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
      await cdp.send('Browser.getVersion');
    } catch (e) {
      // A browser that does not start, or does not answer: nothing is left running.
      child.kill('SIGKILL');
      rmSync(profile, { recursive: true, force: true });
      throw e;
    }
    return cdp;
  }

  /** A command; its result, or an error after the time limit. */
  send<T = Record<string, unknown>>(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<T> {
    if (this.exited) return Promise.reject(new Error('the browser has exited'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`CDP: ${method}: no answer in ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      (this.child.stdio[3] as Writable).write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
    });
  }

  /** Calls `f` with every event; returns a function that stops it. */
  onEvent(f: (method: string, params: Record<string, unknown>, sessionId?: string) => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  /** The next event `method` (of `sessionId`), or an error after the time limit. */
  waitFor(method: string, sessionId?: string): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const l = (m: string, params: Record<string, unknown>, s?: string) => {
        if (m !== method || (sessionId && s !== sessionId)) return;
        clearTimeout(timer);
        this.listeners.delete(l);
        resolve(params);
      };
      const timer = setTimeout(() => {
        this.listeners.delete(l);
        reject(new Error(`CDP: no ${method} in ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.listeners.add(l);
    });
  }

  /** A new tab, attached (flat session): evaluate, click, type, screenshot. */
  async newPage(width = 1280, height = 900): Promise<CdpPage> {
    const { targetId } = await this.send<{ targetId: string }>('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await this.send<{ sessionId: string }>('Target.attachToTarget', { targetId, flatten: true });
    const page = new CdpPage(this, sessionId);
    await page.send('Page.enable');
    await page.send('Runtime.enable');
    await page.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
    return page;
  }

  /** Quits the browser (killed if it does not exit within 3 s) and removes its profile. */
  async close(): Promise<void> {
    if (!this.exited) {
      const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.send('Browser.close').catch(() => undefined);
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
      await gone;
      clearTimeout(timer);
    }
    rmSync(this.profile, { recursive: true, force: true });
  }
}

export class CdpPage {
  constructor(
    readonly cdp: Cdp,
    readonly sessionId: string,
  ) {}

  send<T = Record<string, unknown>>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    return this.cdp.send<T>(method, params, this.sessionId);
  }

  /** Loads `url` and waits for its load event. */
  async goto(url: string): Promise<void> {
    const loaded = this.cdp.waitFor('Page.loadEventFired', this.sessionId);
    const r = await this.send<{ errorText?: string }>('Page.navigate', { url });
    if (r.errorText) throw new Error(`cannot load ${url}: ${r.errorText}`);
    await loaded;
  }

  /** The value of a JavaScript expression in the page (awaited when it is a promise); page errors are thrown. */
  async evaluate<T = unknown>(expression: string): Promise<T> {
    const r = await this.send<{ result: { value?: T }; exceptionDetails?: { text: string; exception?: { description?: string } } }>('Runtime.evaluate', {
      expression,
      returnByValue: true,
      awaitPromise: true,
    });
    if (r.exceptionDetails) throw new Error(`in the page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value as T;
  }

  /** A real mouse click at the centre of the first element matching `selector` (scrolled into view). */
  async click(selector: string): Promise<void> {
    const box = await this.evaluate<{ x: number; y: number } | null>(
      `(() => { const e = document.querySelector(${JSON.stringify(selector)}); if (!e) return null; e.scrollIntoView({ block: 'center' }); const r = e.getBoundingClientRect(); return { x: r.left + Math.min(r.width / 2, 40), y: r.top + r.height / 2 }; })()`,
    );
    if (!box) throw new Error(`no element ${selector} to click`);
    for (const type of ['mousePressed', 'mouseReleased']) await this.send('Input.dispatchMouseEvent', { type, x: box.x, y: box.y, button: 'left', clickCount: 1 });
  }

  /** Focuses `selector` and types `text` as keyboard input (input events, as a user's typing). */
  async type(selector: string, text: string): Promise<void> {
    await this.evaluate(`document.querySelector(${JSON.stringify(selector)}).focus()`);
    await this.send('Input.insertText', { text });
  }

  /** A PNG of the page (the viewport, or the whole page with `full`). */
  async screenshot(full = false): Promise<Buffer> {
    let clip: Record<string, number> | undefined;
    if (full) {
      const m = await this.send<{ cssContentSize: { width: number; height: number } }>('Page.getLayoutMetrics');
      clip = { x: 0, y: 0, width: Math.ceil(m.cssContentSize.width), height: Math.min(Math.ceil(m.cssContentSize.height), 16000), scale: 1 };
    }
    const r = await this.send<{ data: string }>('Page.captureScreenshot', { format: 'png', ...(clip ? { clip, captureBeyondViewport: true } : {}) });
    return Buffer.from(r.data, 'base64');
  }
}
