/**
 * The device cell's and the report exporter's errors, thrown in English,
 * worded in Chinese from the shipped catalog when a notification shows them.
 */
import { chinese, english } from '../../__tests__/catalog';
import { DEVICE_CELL_TAG } from '../../common/contract';
import { REPORT_ERRORS, reportErrorText } from '../../report/errortext';
import { InvalidDeviceError } from '../deviceCell';
import { deviceCellErrorText } from '../errortext';

describe('deviceCellErrorText', () => {
  it('words the errors the device cell throws, values verbatim', () => {
    const invalid = new InvalidDeviceError('<b>gpu</b>').message;
    expect(deviceCellErrorText(chinese(), invalid)).toBe(
      '“<b>gpu</b>”不是本扩展可以选择的设备：请使用 auto、cpu、mps、cuda、cuda:N、xpu 或 xpu:N。'
    );
    expect(
      deviceCellErrorText(
        chinese(),
        `2 cells are tagged "${DEVICE_CELL_TAG}"; keep the tag on one of them (nothing was changed).`
      )
    ).toBe(
      `有 2 个单元格带有“${DEVICE_CELL_TAG}”标签；请只在其中一个上保留这个标签（没有做任何修改）。`
    );
    expect(deviceCellErrorText(english(), invalid)).toBe(invalid);
    expect(deviceCellErrorText(chinese(), 'Other text')).toBe('Other text');
  });
});

describe('reportErrorText', () => {
  it("words the exporter's own errors", () => {
    expect(reportErrorText(chinese(), REPORT_ERRORS.noRaster)).toBe(
      '这个浏览器无法把图表转换为图片。'
    );
    expect(reportErrorText(chinese(), 'disk full')).toBe('disk full');
  });
});
