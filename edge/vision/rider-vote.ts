/**
 * The rider count a pass reports: the upper median of the counts of the frames that saw the
 * vehicle. One frame's passer-by counted as a rider, or one frame where a passenger hides behind
 * the driver, does not decide; between two middle counts the higher wins, as people hide behind
 * each other more often than a stranger stands inside a vehicle's box.
 */
export function voteRiders(counts: readonly number[]): number | undefined {
  if (!counts.length) return undefined;
  const sorted = [...counts].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
