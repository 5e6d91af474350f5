/**
 * `run --pcap` (issue 16): each case's connections, as the harness wrote and read them, go to
 * `<report-dir>/pcap/<case>.pcapng` when the case ends (with the harness's key log in the file, so Wireshark
 * decrypts it as it opens it), and every key log line also to `<report-dir>/keylog.txt` (SSLKEYLOGFILE format,
 * for tools that want it apart). Written per case and atomically: an interrupted run keeps the cases that finished.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic.ts';
import { pcapng, type TcpConversation } from './pcapng.ts';

/** A case id as a file name: brackets and other punctuation become '_'. */
export const captureFileName = (caseId: string) => `${caseId.replace(/[^A-Za-z0-9._=-]+/g, '_').slice(0, 200)}.pcapng`;

export class CaptureWriter {
  private readonly conversations = new Map<string, TcpConversation[]>();
  private readonly keys = new Map<string, string[]>();

  constructor(private readonly dir: string) {}

  readonly capture = (c: TcpConversation, caseId: string): void => {
    const list = this.conversations.get(caseId) ?? [];
    list.push(c);
    this.conversations.set(caseId, list);
  };

  readonly keyLog = (line: string, caseId: string): void => {
    const list = this.keys.get(caseId) ?? [];
    list.push(line);
    this.keys.set(caseId, list);
  };

  /** The case's file, once it has finished (its positive control's connections are not in it). */
  write(caseId: string): string | undefined {
    const convs = this.conversations.get(caseId);
    const keys = this.keys.get(caseId) ?? [];
    this.conversations.delete(caseId);
    this.keys.delete(caseId);
    if (!convs || convs.length === 0) return undefined;
    const file = join(this.dir, 'pcap', captureFileName(caseId));
    writeFileAtomic(file, pcapng(convs, keys));
    if (keys.length > 0) {
      mkdirSync(this.dir, { recursive: true });
      appendFileSync(join(this.dir, 'keylog.txt'), keys.map((l) => `${l}\n`).join(''));
    }
    return file;
  }
}
