/**
 * The program's IAM, as the local cloud enforces it: the roles it declares with the policies it gives them
 * (inline, RolePolicy, customer managed through RolePolicyAttachment), the sessions that the functions and
 * the state machine run as, and the `--revoke` fault that takes one grant away. The gates that enforce
 * them are in `local/iamGate.ts`.
 */
import { ACCOUNT, LocalCloudError, REGION, functionArn } from './common';
import { type IamSetup, type PolicyDocument, type Principal, assumeRole } from './iamGate';
import { type Recorded, ofType } from './mockProgram';

/** A declared role and every policy that applies to it. */
export interface DeclaredRole {
  readonly name: string;
  readonly arn: string;
  readonly policies: { readonly name: string; readonly document: PolicyDocument }[];
  /** Why the local cloud cannot evaluate this role (an AWS managed policy it has no copy of), if it cannot. */
  readonly unavailable: string[];
}

const documentOf = (policy: unknown, where: string): PolicyDocument => {
  const doc = (typeof policy === 'string' ? JSON.parse(policy) : policy) as PolicyDocument | undefined;
  if (!doc || typeof doc !== 'object' || doc.Statement === undefined) {
    throw new LocalCloudError(`${where}: the policy is not an IAM policy document (no Statement)`);
  }
  return doc;
};

/** The IAM ARN of a role or policy: global (no region), with its path. */
const iamArn = (kind: 'role' | 'policy', path: string | undefined, name: string) => `arn:aws:iam::${ACCOUNT}:${kind}${path ?? '/'}${name}`;

/**
 * Every role the program declares, with the policies IAM would evaluate for it. A reference to a role (a
 * RolePolicy's `role`, an attachment's) may be its name or its ARN. An AWS managed policy has no local copy:
 * the program is refused, naming it, rather than run with a grant the local cloud cannot see.
 */
export const declaredRoles = (resources: readonly Recorded[]): DeclaredRole[] => {
  const managed = new Map(
    ofType(resources, 'aws:iam/policy:Policy').map((p) => {
      const name = p.inputs.name ?? p.name;
      return [iamArn('policy', p.inputs.path, name), { name, document: documentOf(p.inputs.policy, `policy ${p.name}`) }];
    }),
  );
  // An AWS managed policy has no local copy: a role that has one cannot be evaluated, which matters only if
  // a local principal assumes it (`localPrincipals`); the API Gateway account's role is assumed by no one here.
  const attach = (role: DeclaredRole, arn: string, where: string) => {
    const p = managed.get(arn);
    if (p) role.policies.push(p);
    else
      role.unavailable.push(
        `${where}: policy ${arn} is not declared by the program (an AWS managed policy has no local copy), so the local cloud cannot evaluate it; declare the statements the role needs`,
      );
  };
  const roles = ofType(resources, 'aws:iam/role:Role').map((r) => {
    const name = r.inputs.name ?? r.name;
    const role: DeclaredRole = { name, arn: iamArn('role', r.inputs.path, name), policies: [], unavailable: [] };
    for (const p of r.inputs.inlinePolicies ?? []) {
      role.policies.push({ name: p.name ?? 'inline', document: documentOf(p.policy, `role ${name}, inline policy ${p.name}`) });
    }
    for (const arn of r.inputs.managedPolicyArns ?? []) attach(role, arn, `role ${name}`);
    return role;
  });
  const roleNamed = (ref: string, where: string): DeclaredRole => {
    const role = roles.find((r) => r.name === ref || r.arn === ref);
    if (!role) throw new LocalCloudError(`${where}: role '${ref}' is not declared by the program`);
    return role;
  };
  for (const p of ofType(resources, 'aws:iam/rolePolicy:RolePolicy')) {
    roleNamed(p.inputs.role as string, `role policy ${p.name}`).policies.push({
      name: p.inputs.name ?? p.name,
      document: documentOf(p.inputs.policy, `role policy ${p.name}`),
    });
  }
  for (const a of ofType(resources, 'aws:iam/rolePolicyAttachment:RolePolicyAttachment')) {
    attach(roleNamed(a.inputs.role as string, `attachment ${a.name}`), a.inputs.policyArn, `attachment ${a.name}`);
  }
  return roles;
};

/** One `--revoke ROLE:ACTION`: the grant to take away. */
export interface Revocation {
  readonly role: string;
  readonly action: string;
}

/** Parses `ROLE:ACTION` (the action is `service:Name`, so the role is what comes before the first colon). */
export const parseRevocation = (text: string): Revocation => {
  const m = /^([\w+=,.@-]+):([a-z0-9-]+:[A-Za-z0-9]+)$/.exec(text);
  if (!m) {
    throw new LocalCloudError(`--revoke '${text}' is not ROLE:ACTION: expected e.g. --revoke dofs-store-order-role:dynamodb:UpdateItem`);
  }
  return { role: m[1], action: m[2] };
};

type Statement = { Action?: string | string[]; [key: string]: unknown };

/**
 * The roles with `revocations` applied: the action is taken out of every statement of the role that names
 * it (a statement left with no action goes), as if the grant had never been written. A role or action that
 * is not there is refused, naming what is.
 */
export const revoke = (roles: readonly DeclaredRole[], revocations: readonly Revocation[]): DeclaredRole[] =>
  roles.map((role) => {
    const mine = revocations.filter((r) => r.role === role.name);
    if (mine.length === 0) return role;
    const granted = new Set<string>();
    const policies = role.policies.map((p) => {
      const statements = ([] as Statement[]).concat(p.document.Statement as Statement | Statement[]);
      const kept = statements.flatMap((st) => {
        const actions = ([] as string[]).concat(st.Action ?? []);
        actions.forEach((a) => granted.add(a));
        if (st.Action === undefined) return [st];
        const left = actions.filter((a) => !mine.some((r) => r.action.toLowerCase() === a.toLowerCase()));
        return left.length === 0 ? [] : [{ ...st, Action: left }];
      });
      return { name: p.name, document: { ...p.document, Statement: kept } };
    });
    for (const r of mine) {
      if (![...granted].some((a) => a.toLowerCase() === r.action.toLowerCase())) {
        throw new LocalCloudError(
          `--revoke ${r.role}:${r.action}: role ${r.role} is not granted ${r.action}; it is granted ${[...granted].join(', ')}`,
        );
      }
    }
    return { ...role, policies };
  });

/** Refuses a revocation that names no declared role. */
export const checkRevocations = (roles: readonly DeclaredRole[], revocations: readonly Revocation[]): void => {
  for (const r of revocations) {
    if (!roles.some((x) => x.name === r.role)) {
      throw new LocalCloudError(
        `--revoke ${r.role}:${r.action}: no role named ${r.role}; the program declares ${roles.map((x) => x.name).join(', ')}`,
      );
    }
  }
};

/** A Step Functions role session name: 32 letters, as AWS names the sessions of a state machine's role. */
const stateMachineSession = (): string => {
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  return Array.from({ length: 32 }, () => letters[Math.floor(Math.random() * letters.length)]).join('');
};

/** The local cloud's principals: one session per function (named after it) and one of the state machine's role. */
export interface LocalPrincipals {
  readonly setup: IamSetup;
  /** A function's session, by its ARN. */
  readonly functions: ReadonlyMap<string, Principal>;
  readonly stateMachine: Principal;
}

/**
 * Issues credentials for every function's execution role and the state machine's role, from the program's
 * declared roles less `revocations`.
 */
export const localPrincipals = (resources: readonly Recorded[], revocations: readonly Revocation[] = []): LocalPrincipals => {
  const declared = declaredRoles(resources);
  checkRevocations(declared, revocations);
  const roles = revoke(declared, revocations);
  const roleOf = (arn: string | undefined, who: string) => {
    const role = roles.find((r) => r.arn === arn);
    if (!role) throw new LocalCloudError(`${who}: its role '${arn}' is not declared by the program`);
    if (role.unavailable.length > 0) throw new LocalCloudError(role.unavailable[0]);
    return role;
  };
  const functions = new Map(
    ofType(resources, 'aws:lambda/function:Function').map((fn) => [
      functionArn(fn.name),
      assumeRole(roleOf(fn.inputs.role, `function ${fn.name}`), fn.name),
    ]),
  );
  const sm = ofType(resources, 'aws:sfn/stateMachine:StateMachine')[0];
  const stateMachine = assumeRole(roleOf(sm.inputs.roleArn, `state machine ${sm.name}`), stateMachineSession());
  return { setup: { account: ACCOUNT, region: REGION, principals: [...functions.values(), stateMachine] }, functions, stateMachine };
};
