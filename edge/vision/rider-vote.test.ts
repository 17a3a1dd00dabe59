import { describe, expect, it } from 'vitest';
import { voteRiders } from './rider-vote.ts';

describe('the rider count of a pass, voted over its frames', () => {
  it('is not decided by one frame either way', () => {
    // A passer-by inside the box in one frame.
    expect(voteRiders([2, 2, 5, 2])).toBe(2);
    // A passenger hidden behind the driver in one frame.
    expect(voteRiders([3, 1, 3])).toBe(3);
  });

  it('takes the higher of the two middle counts, and the only one of a single frame', () => {
    expect(voteRiders([2, 3])).toBe(3);
    expect(voteRiders([1, 2, 3, 4])).toBe(3);
    expect(voteRiders([4])).toBe(4);
    expect(voteRiders([])).toBeUndefined();
  });
});
