/**
 * The DOFS policy pack: `pulumi preview --policy-pack policy` (README, "Policy pack"). Its rules are in
 * rules.ts; tests/policy/pack.test.ts runs them on every stack and on fixtures that break each one.
 */
import { PolicyPack } from '@pulumi/policy';
import { RULES } from './rules';

new PolicyPack('dofs-aws-rules', {
  description: "What AWS enforces at deploy or run time that mocks do not, and DOFS's security rules",
  enforcementLevel: 'mandatory',
  policies: [...RULES],
});
