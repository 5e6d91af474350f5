/**
 * Issue 15: differential fuzzing of a server target's ClientHello handling. fast-check generates mutation lists
 * (ops.ts), each is played against the target and against the embedded reference (outcome.ts); a list whose
 * outcomes differ is a finding, shrunk by fast-check to a minimal list with a difference, and named by its
 * signature "<reference outcome> / <target outcome>", so one bug is one finding: after a finding, lists of a
 * known signature count as agreeing and the search goes on for others.
 */
import fc from 'fast-check';
import type { HandshakeMessage } from '../../implementations/reference/codec/handshake.ts';
import { ClientPeer13 } from '../engine/peer13.ts';
import { peerConfig } from '../engine/run-case.ts';
import type { MutateOp, PeerConfig } from '../scenario/model.ts';
import type { Target } from '../targets/types.ts';
import { mutateOpsArbitrary, shapeOf } from './ops.ts';
import { clientHelloOutcome, outcomeLabel } from './outcome.ts';

export interface Finding {
  /** `<reference outcome> / <target outcome>`, e.g. `alert decode_error / continues`. */
  signature: string;
  reference: string;
  target: string;
  /** The shrunk mutation list of the ClientHello: replayable as a scenario's `mutate`. */
  ops: MutateOp[];
  /** To reproduce the search: fast-check's seed and path of the failing run. */
  seed: number;
  path?: string;
}

export interface FuzzOptions {
  config: PeerConfig;
  seed: number;
  /** Generated lists per search round. */
  runs: number;
  /** Stop after this many distinct findings. */
  maxFindings: number;
  /** How long a silence counts as the target's answer. */
  silenceMs?: number;
}

export async function fuzzClientHello(target: Target, reference: Target, o: FuzzOptions): Promise<{ findings: Finding[]; conversations: number }> {
  const shape = shapeOf(new ClientPeer13(peerConfig(o.config, 'client')).build('ClientHello') as HandshakeMessage);
  const known = new Set<string>();
  const findings: Finding[] = [];
  let conversations = 0;
  const signatureOf = async (ops: MutateOp[]) => {
    conversations++;
    const [ref, tgt] = await Promise.all([clientHelloOutcome(reference, ops, o.config, o.silenceMs), clientHelloOutcome(target, ops, o.config, o.silenceMs)]);
    const r = outcomeLabel(ref);
    const t = outcomeLabel(tgt);
    return { r, t, signature: r === t ? undefined : `${r} / ${t}` };
  };
  // Rounds are bounded: a difference that does not come back costs a round.
  for (let round = 0; findings.length < o.maxFindings && round < 3 * o.maxFindings; round++) {
    const seed = o.seed + round;
    const res = await fc.check(
      fc.asyncProperty(mutateOpsArbitrary(shape), async (ops) => {
        const { signature } = await signatureOf(ops);
        return signature === undefined || known.has(signature);
      }),
      { seed, numRuns: o.runs },
    );
    if (!res.failed || !res.counterexample) break;
    const first = await signatureOf(res.counterexample[0]);
    // A difference that does not come back is not a finding (the target answered differently by chance).
    if (first.signature === undefined || known.has(first.signature)) continue;
    const wanted = first.signature;
    // Shrink again, keeping exactly this signature: replayed from the failing run's path, the smallest list
    // that still gives it (the first shrink stopped at any unknown difference, with ops that do not matter).
    const exact = await fc.check(
      fc.asyncProperty(mutateOpsArbitrary(shape), async (ops) => (await signatureOf(ops)).signature !== wanted),
      { seed, numRuns: o.runs, ...(res.counterexamplePath ? { path: res.counterexamplePath } : {}) },
    );
    let ops = exact.failed && exact.counterexample ? exact.counterexample[0] : res.counterexample[0];
    // Then drop each op in turn while the signature holds (fast-check's shrinker left unneeded ops in place when
    // tried against openssl; the lists are short, so this costs a few conversations).
    for (let i = 0; i < ops.length && ops.length > 1; ) {
      const fewer = ops.filter((_, j) => j !== i);
      if ((await signatureOf(fewer)).signature === wanted) ops = fewer;
      else i++;
    }
    const again = await signatureOf(ops);
    if (again.signature !== wanted) continue;
    known.add(wanted);
    findings.push({ signature: wanted, reference: again.r, target: again.t, ops, seed, path: exact.counterexamplePath ?? res.counterexamplePath ?? undefined });
  }
  return { findings, conversations };
}
