import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { progressRendererFactory, resultRendererFactory } from '../mime';
import { PROGRESS_MIME, RESULT_MIME } from '../record';

function mimeModel(data: Record<string, unknown>): IRenderMime.IMimeModel {
  return {
    trusted: false,
    data: data as IRenderMime.IMimeModel['data'],
    metadata: {},
    setData: () => undefined
  };
}

function progress(step: number, text: string): IRenderMime.IMimeModel {
  return mimeModel({
    'text/plain': text,
    [PROGRESS_MIME]: { epoch: 1, epochs: 2, step, steps: 100, loss: 0.5 }
  });
}

const options = {
  mimeType: PROGRESS_MIME,
  sanitizer: { sanitize: (html: string) => html },
  resolver: null,
  linkHandler: null,
  latexTypesetter: null
} as unknown as IRenderMime.IRendererOptions;

describe('progress renderer', () => {
  it('updates the same nodes in place', async () => {
    const renderer = progressRendererFactory.createRenderer(options);
    await renderer.renderModel(progress(50, 'epoch 1/2 step 50/100'));
    const bar = renderer.node.querySelector('progress')!;
    const text = renderer.node.querySelector('span')!;
    expect(bar.value).toBeCloseTo(0.25);
    expect(text.textContent).toBe('epoch 1/2 step 50/100');

    await renderer.renderModel(progress(100, 'epoch 1/2 step 100/100'));
    expect(renderer.node.querySelector('progress')).toBe(bar);
    expect(renderer.node.querySelector('span')).toBe(text);
    expect(renderer.node.children).toHaveLength(2);
    expect(bar.value).toBeCloseTo(0.5);
    expect(text.textContent).toBe('epoch 1/2 step 100/100');
  });

  it('renders untrusted text as text, and odd numbers as an empty bar', async () => {
    const renderer = progressRendererFactory.createRenderer(options);
    await renderer.renderModel(
      mimeModel({
        'text/plain': '<img src=x onerror=alert(1)>',
        [PROGRESS_MIME]: { epoch: 'x', epochs: null, step: {}, steps: -1 }
      })
    );
    expect(renderer.node.querySelector('img')).toBeNull();
    expect(renderer.node.textContent).toContain('<img src=x onerror=alert(1)>');
    expect(renderer.node.querySelector('progress')!.value).toBe(0);
  });
});

describe('result renderer', () => {
  it('shows the result as a table of text', async () => {
    const renderer = resultRendererFactory.createRenderer({
      ...options,
      mimeType: RESULT_MIME
    });
    await renderer.renderModel(
      mimeModel({
        [RESULT_MIME]: {
          device: 'cpu',
          device_name: '<b>CPU</b>',
          profile: 'quick',
          train_seconds: 1.5
        }
      })
    );
    expect(renderer.node.querySelector('table')).not.toBeNull();
    expect(renderer.node.querySelector('b')).toBeNull();
    expect(renderer.node.textContent).toContain('<b>CPU</b>');
  });

  it('says when the accuracy is too short to judge', async () => {
    const renderer = resultRendererFactory.createRenderer({
      ...options,
      mimeType: RESULT_MIME
    });
    const note = 'too short to judge accuracy: after 16 training steps';
    await renderer.renderModel(
      mimeModel({
        [RESULT_MIME]: { device: 'cpu', accuracy: 0.275, accuracy_note: note }
      })
    );
    const rows = [...renderer.node.querySelectorAll('tr')];
    const accuracy = rows.find(row => row.textContent!.startsWith('Accuracy'));
    expect(accuracy!.querySelector('td')!.textContent).toBe(`27.5% (${note})`);
  });
});
