import { leftRunning } from '../leftover';

describe('leftRunning', () => {
  it('finds the running markers, and only them', () => {
    const metadata = {
      schema_version: 1,
      runs: [
        { id: 'a', status: 'ok' },
        { id: 'b', status: 'running', device: 'cuda:0' },
        { id: 'c', status: 'interrupted' },
        null,
        'not a run',
        { id: 'd', status: 'running' }
      ]
    };
    expect(leftRunning(metadata).map(r => r.id)).toEqual(['b', 'd']);
  });

  it.each([undefined, null, 'x', [], { runs: 'x' }, { runs: {} }])(
    'finds nothing in %p',
    metadata => {
      expect(leftRunning(metadata)).toEqual([]);
    }
  );
});
