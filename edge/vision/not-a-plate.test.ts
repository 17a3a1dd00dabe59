import { describe, expect, it } from 'vitest';
import { whyNotAPlate } from './not-a-plate.ts';

describe('why text read where a plate could be is not one', () => {
  it('sorts what the recogniser read on real scenes', () => {
    // Each read from ../shared/fixtures/scenes by the plate search (the reader forces a Han character first).
    expect(whyNotAPlate('沈Q21112月21日星期二113459').code).toBe('caption'); // the camera's date and time
    expect(whyNotAPlate('长ST9X8稍横市铁冲').code).toBe('caption'); // an address on a truck
    expect(whyNotAPlate('键A41YY主').code).toBe('han_inside');
    expect(whyNotAPlate('社A236').code).toBe('too_short');
    expect(whyNotAPlate('院S46673').code).toBe('no_province'); // 皖S46673 misread
    expect(whyNotAPlate('鲁PA12I4').code).toBe('serial');
  });

  it('lets a plate end in 学, 警 or 挂 without calling it a sign', () => {
    expect(whyNotAPlate('渝B3587学X').code).toBe('han_inside');
    expect(whyNotAPlate('鲁PA12I学').code).toBe('serial');
    expect(whyNotAPlate('社A236').why).toMatch(/fewer than 7 characters/);
  });
});
