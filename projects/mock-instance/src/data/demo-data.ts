/**
 * The demo's data, validated as any data is: the KB's incident table (and the task table it
 * extends), 30 users (three who can log in, password `demo`), 300 incidents and the access rules
 * of a base instance for them (see `demo-input.ts`). A data file builds on it with
 * `"extends": "demo"`.
 */
import { demoDataInput } from './demo-input';
import { InstanceData, validateInstanceData } from './instance-data';

/** The demo's data, validated as any data is. */
export function demoData(): InstanceData {
  return validateInstanceData(demoDataInput(), 'the demo data');
}
