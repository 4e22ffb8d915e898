/**
 * The AWS JSON 1.0 protocol as an AWS service's front door answers it: the request body decoded against an
 * operation's input shape, and errors as `{"__type": "<namespace>#<name>", "message": ...}` with status 400.
 * Pure: the local Step Functions endpoint (`local/stepFunctions.ts`) puts it on HTTP.
 *
 * Sources: the error shape and status, https://docs.aws.amazon.com/step-functions/latest/apireference/CommonErrors.html;
 * the member constraints, the service model (botocore `data/stepfunctions/2016-11-23/service-2.json`);
 * the message wording, AWS responses recorded by LocalStack's validated snapshots
 * (`tests/aws/services/stepfunctions/v2/test_sfn_api.snapshot.json`).
 */

/** Step Functions' own errors (ExecutionDoesNotExist, InvalidArn, ...) carry this namespace on the wire. */
export const SFN_NAMESPACE = 'com.amazonaws.swf.service.v2.model';
/** A request that breaks the model's constraints (length, range, enum, required) is refused here. */
export const VALIDATE_NAMESPACE = 'com.amazon.coral.validate';
/** A request the front door cannot read (not JSON, wrong member type) or route (unknown operation). */
export const SERVICE_NAMESPACE = 'com.amazon.coral.service';

/** An error as the service answers it; the SDKs take the name after `#` as the exception's name. */
export class AwsJsonError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly namespace: string = SFN_NAMESPACE,
    readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }

  get body(): { __type: string; message: string } {
    return { __type: `${this.namespace}#${this.type}`, message: this.message };
  }
}

export const serializationError = (message: string) => new AwsJsonError('SerializationException', message, SERVICE_NAMESPACE);

/** One member of an operation's input, with the constraints of its shape in the service model. */
export type MemberShape =
  | {
      readonly type: 'string';
      readonly required?: boolean;
      readonly min?: number;
      readonly max?: number;
      /** The length is counted in UTF-8 bytes ("Length constraints apply to the payload size", StartExecution `input`). */
      readonly bytes?: boolean;
      /** A sensitive member's value is left out of the validation message. */
      readonly sensitive?: boolean;
      readonly enum?: readonly string[];
      readonly pattern?: { readonly source: string; readonly test: (s: string) => boolean };
    }
  | { readonly type: 'integer'; readonly required?: boolean; readonly min?: number; readonly max?: number }
  | { readonly type: 'boolean'; readonly required?: boolean };

export type InputShape = Readonly<Record<string, MemberShape>>;

type ValueOf<M extends MemberShape> = M extends { type: 'string' } ? string : M extends { type: 'integer' } ? number : boolean;

/** The decoded request: required members are present, the others may be absent. */
export type Decoded<S extends InputShape> = { [K in keyof S as S[K] extends { required: true } ? K : never]: ValueOf<S[K]> } & {
  [K in keyof S as S[K] extends { required: true } ? never : K]?: ValueOf<S[K]>;
};

/** The media type of the AWS JSON 1.0 protocol (https://smithy.io/2.0/aws/protocols/aws-json-1_0-protocol.html). */
export const JSON_1_0 = 'application/x-amz-json-1.0';

/**
 * Checks a request's `Content-Type`: the protocol's media type, its parameters ignored (Smithy's protocol
 * test AwsJson11MustSupportParametersInContentType). Any other, or none, is refused before the body is
 * read, with 415 UnsupportedMediaTypeException: the answer Smithy's malformed-request tests prescribe for
 * a wrong content type (`smithy-aws-protocol-tests/model/restJson1/malformedRequests/malformed-content-type.smithy`);
 * for AWS JSON 1.0 they prescribe none, and no recorded AWS answer was found.
 */
export const requireJsonMediaType = (contentType: string | undefined): void => {
  const mediaType = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (mediaType !== JSON_1_0) {
    throw new AwsJsonError(
      'UnsupportedMediaTypeException',
      `Content-Type ${contentType === undefined ? 'is missing' : `'${contentType}' is not supported`}: an AWS JSON 1.0 request is sent as ${JSON_1_0}`,
      SERVICE_NAMESPACE,
      415,
    );
  }
};

/**
 * Parses a request body. An empty body, a body that is not JSON and a body that is not a JSON object are
 * SerializationExceptions, as the front door of an AWS JSON service answers them.
 */
export const parseBody = (text: string): Record<string, unknown> => {
  if (text.trim() === '') throw serializationError('The request body is empty: an AWS JSON 1.0 request carries a JSON object');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw serializationError(`The request body is not valid JSON: ${(e as Error).message}`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw serializationError('The request body is not a JSON object');
  }
  return body as Record<string, unknown>;
};

const quoted = (member: MemberShape, value: unknown) =>
  member.type === 'string' && member.sensitive ? 'Value' : `Value '${value as string | number}'`;

/** The constraint a member's value breaks, worded as AWS words it, or undefined. */
const violation = (name: string, member: MemberShape, value: unknown): string | undefined => {
  const at = `${quoted(member, value)} at '${name}' failed to satisfy constraint: Member must`;
  if (member.type === 'string') {
    const s = value as string;
    if (member.bytes) {
      const size = Buffer.byteLength(s, 'utf8');
      if (member.max !== undefined && size > member.max)
        return `${at} have size less than or equal to ${member.max} bytes in UTF-8 encoding`;
    } else {
      if (member.min !== undefined && s.length < member.min) return `${at} have length greater than or equal to ${member.min}`;
      if (member.max !== undefined && s.length > member.max) return `${at} have length less than or equal to ${member.max}`;
    }
    if (member.enum && !member.enum.includes(s)) return `${at} satisfy enum value set: [${member.enum.join(', ')}]`;
    if (member.pattern && !member.pattern.test(s)) return `${at} satisfy regular expression pattern: ${member.pattern.source}`;
  } else if (member.type === 'integer') {
    const n = value as number;
    if (member.min !== undefined && n < member.min) return `${at} have value greater than or equal to ${member.min}`;
    if (member.max !== undefined && n > member.max) return `${at} have value less than or equal to ${member.max}`;
  }
  return undefined;
};

const typeMatches = (member: MemberShape, value: unknown): boolean =>
  member.type === 'string'
    ? typeof value === 'string'
    : member.type === 'integer'
      ? typeof value === 'number' && Number.isInteger(value)
      : typeof value === 'boolean';

/**
 * Decodes a parsed body against an operation's input shape. A member of the wrong JSON type is a
 * SerializationException; every broken constraint (required, length, range, enum, pattern) is listed in one
 * ValidationException, "N validation error(s) detected: ...; ...", in the model's member order. A JSON
 * `null` counts as an absent member and members the shape does not name are ignored, as AWS does.
 */
export const decodeMembers = <S extends InputShape>(body: Record<string, unknown>, shape: S): Decoded<S> => {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, member] of Object.entries(shape)) {
    const value = body[name];
    if (value === undefined || value === null) {
      if (member.required) problems.push(`Value null at '${name}' failed to satisfy constraint: Member must not be null`);
      continue;
    }
    if (!typeMatches(member, value)) {
      throw serializationError(
        `'${name}' is ${JSON.stringify(value)}: expected ${member.type === 'integer' ? 'an integer' : `a ${member.type}`}`,
      );
    }
    const problem = violation(name, member, value);
    if (problem) problems.push(problem);
    out[name] = value;
  }
  if (problems.length > 0) {
    throw new AwsJsonError(
      'ValidationException',
      `${problems.length} validation error${problems.length > 1 ? 's' : ''} detected: ${problems.join('; ')}`,
      VALIDATE_NAMESPACE,
    );
  }
  return out as Decoded<S>;
};
