/**
 * Stored (English) run and probe errors worded in Chinese at display time,
 * from the zh_CN catalog the wheel ships; other texts as they are.
 */
import { probeErrorText, refusedError } from '../../common/probetext';
import { notReadyError, RUN_ERRORS, runErrorText, WAITS } from '../errortext';
import { chinese } from '../../__tests__/catalog';

describe('runErrorText', () => {
  it("words every one of the driver's own errors", () => {
    const trans = chinese();
    for (const text of Object.values(RUN_ERRORS)) {
      expect(runErrorText(trans, text)).toMatch(/[\u4e00-\u9fff]/);
    }
    expect(runErrorText(trans, RUN_ERRORS.kernelDied)).toBe(
      '运行期间内核退出了（内存不足，或进程被终止）。'
    );
    expect(runErrorText(trans, notReadyError(120, WAITS.newKernelIdle))).toBe(
      '内核在 120 秒内没有就绪（新内核进入空闲）。'
    );
  });

  it('leaves a kernel traceback line as it is', () => {
    expect(runErrorText(chinese(), 'RuntimeError: CUDA error')).toBe(
      'RuntimeError: CUDA error'
    );
  });
});

describe('probeErrorText', () => {
  it('words the service errors, keeping their details', () => {
    expect(probeErrorText(chinese(), refusedError('error'))).toBe(
      '内核拒绝了这次检测（error）。'
    );
    expect(probeErrorText(chinese(), 'something else')).toBe('something else');
  });
});
