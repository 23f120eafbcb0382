/**
 * One way for every bench to end its run (bench/smoke.ts relies on it):
 * - BENCH_SMOKE=1 picks the bench's short form (few trials, small sizes; `benchSize(full, smoke)`), and a
 *   missed goal then fails the run (exit 1): the short form asserts its goal.
 * - `finishBench` prints each goal as met / NOT met, then the JSON last line: the bench's figures plus
 *   `"wrong"` (wrong outcomes and errors) and `"valid"` (true only when wrong is 0). A run with wrong outcomes
 *   exits 1 and judges no goal: its figures are not evidence of anything.
 * - `runBench` runs main(); a thrown error prints `{"bench":..,"valid":false,"error":..}` and exits 1.
 */
export const SMOKE = process.env.BENCH_SMOKE === '1';

/** The full form's value, or the short form's under BENCH_SMOKE=1. */
export const benchSize = <T>(full: T, smoke: T): T => (SMOKE ? smoke : full);

export interface BenchGoal {
  /** What the goal asks, as shown: "p99 < 50 ms". */
  what: string;
  met: boolean;
}

export interface BenchVerdict {
  /** Wrong outcomes and errors of the run (0 when it did what it measures, every time). */
  wrong: number;
  goals: BenchGoal[];
}

/** Prints the goal lines and the JSON last line; sets the exit code. Returns whether the run passed. */
export function finishBench(bench: string, figures: Record<string, unknown>, verdict: BenchVerdict): boolean {
  const valid = verdict.wrong === 0;
  for (const g of verdict.goals) {
    const judged = valid ? (g.met ? 'met' : 'NOT met') : `not judged: ${verdict.wrong} wrong outcome(s)`;
    console.log(`  goal: ${g.what} -> ${judged}`);
  }
  if (!valid)
    console.log(`  INVALID RUN: ${verdict.wrong} wrong outcome(s)/error(s); figures are not evidence`);
  const goalsMet = verdict.goals.every((g) => g.met);
  const passed = valid && (goalsMet || !SMOKE);
  if (!passed) process.exitCode = 1;
  console.log(JSON.stringify({ bench, ...figures, wrong: verdict.wrong, valid }));
  return passed;
}

/** Runs a bench's main; an error is an invalid run (JSON last line with valid:false, exit 1). */
export function runBench(bench: string, main: () => Promise<void>): void {
  main().then(
    () => process.exit(process.exitCode ?? 0),
    (err: unknown) => {
      console.error(`bench:${bench} failed:`, err instanceof Error ? err.message : String(err));
      console.log(
        JSON.stringify({ bench, valid: false, error: err instanceof Error ? err.message : String(err) }),
      );
      process.exit(1);
    },
  );
}
