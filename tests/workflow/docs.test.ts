import * as fs from 'fs';
import * as path from 'path';
import { stateMachineDoc } from '../../scripts/workflowDocs';

describe('docs/state-machine.md', () => {
  it('is the diagram the current workflow renders (run `npm run docs` after changing the workflow)', () => {
    // Given the committed document
    const committed = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'state-machine.md'), 'utf8');
    // Then it equals what the code generates now
    expect(committed).toBe(stateMachineDoc());
  });

  it('draws every state of the workflow', () => {
    const doc = stateMachineDoc();
    for (const name of [
      'ValidateOrder',
      'CheckValidation',
      'RecordRejection',
      'StoreOrder',
      'SendToQueue',
      'ValidationFailed',
      'StorageFailed',
      'QueueFailed',
    ]) {
      expect(doc).toContain(`"${name}"`);
    }
  });
});
