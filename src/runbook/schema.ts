// zod/mini rather than classic zod: the same schemas and issues at a seventh of the start-up cost,
// which every command that reads a runbook pays.
import * as z from 'zod/mini'
import { DURATION_PATTERN, MAX_DURATION_MS, parseDuration } from './duration.js'

const text = (description: string) => z.optional(z.string().check(z.describe(description)))

/** Ids name phases (rollback points), steps (`needs`, `steps.<id>`), params, secrets and targets. */
export const Identifier = z.string().check(
  z.regex(/^[A-Za-z][A-Za-z0-9_-]*$/, {
    error: 'an id starts with a letter and holds letters, digits, - and _',
  }),
  z.maxLength(64),
)

export const Duration = z
  .string({ error: 'a duration is a number with a unit: 500ms, 30s, 5m, 1h, 1h30m' })
  .check(
    z.regex(DURATION_PATTERN, { error: 'a duration is a number with a unit: 500ms, 30s, 5m, 1h, 1h30m' }),
    z.refine((text) => !DURATION_PATTERN.test(text) || parseDuration(text) <= MAX_DURATION_MS, {
      error: 'a duration may be at most 24 days (596h)',
    }),
    z.describe('A length of time: 500ms, 30s, 5m, 1h, 1h30m'),
  )

export const OnFailure = z
  .enum(['pause', 'rollback', 'abort'])
  .check(
    z.describe(
      'pause: stop and wait for the operator; rollback: roll back to the last rollback point; abort: stop',
    ),
  )

const Concurrency = z.int().check(z.gte(1), z.lte(256))

export const Retry = z
  .strictObject({
    attempts: z.int().check(z.gte(1), z.lte(100), z.describe('Tries in all, the first included')),
    backoff: z.optional(Duration.check(z.describe('Wait before the second try; doubles after each failure'))),
    max_backoff: z.optional(Duration.check(z.describe('Longest wait between tries'))),
  })
  .check(z.describe('How often to try a failing step again'))

const Scalar = z.union([z.string(), z.number(), z.boolean()])

export const ParamSpec = z
  .strictObject({
    type: z.optional(z.enum(['string', 'number', 'boolean', 'list']).check(z.describe('Defaults to string'))),
    default: z.optional(z.union([Scalar, z.array(Scalar)])),
    required: z.optional(
      z.boolean().check(z.describe('A required param must be given with --param or --params')),
    ),
    allowed: z.optional(z.array(Scalar).check(z.minLength(1), z.describe('The only values accepted'))),
    description: text('What the param is for'),
  })
  .check(z.describe('A value the operator passes in with --param NAME=VALUE or --params FILE'))

export const SecretSpec = z
  .strictObject({
    from: z.string().check(
      z.regex(/^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+|ssm:\/.+)$/, {
        error: 'a secret comes from env:NAME, file:PATH or ssm:/parameter/path',
      }),
      z.describe('env:NAME, file:PATH or ssm:/parameter/path'),
    ),
    description: text('What the secret is for'),
  })
  .check(z.describe('A value that is read at run time and never printed, journaled or logged'))

const InstanceId = z.string().check(
  z.regex(/^(i-[0-9a-f]{8,17}|mi-[0-9a-f]{17}|\$\{\{.*\}\})$/, {
    error:
      'an instance id looks like i-0123456789abcdef0 (EC2) or mi-0123456789abcdef0 (an on-premises server in SSM)',
  }),
)

const Port = z.int().check(z.gte(1), z.lte(65535))

const WHOLE_EXPRESSION = /^\$\{\{.*\}\}$/s
const isExpression = (value: unknown) => typeof value === 'string' && WHOLE_EXPRESSION.test(value)

/** A target's switch, or one `${{ }}` (e.g. a param) that sets it per environment; read at run time. */
const Switch = (description: string) =>
  z
    .union([
      z.boolean(),
      z
        .string()
        .check(z.regex(WHOLE_EXPRESSION, { error: 'expected true or false, or one ${{ }} expression' })),
    ])
    .check(z.describe(description))

/** A SQL Server instance (or an availability group listener), reached with `mssql` over TDS. */
export const SqlTarget = z
  .strictObject({
    server: z
      .string()
      .check(
        z.minLength(1),
        z.describe(
          'Host name or address of the instance or listener; `host,port` as SQL Server tools write it',
        ),
      ),
    port: z.optional(Port.check(z.describe('TCP port (default 1433)'))),
    instance: z.optional(
      z
        .string()
        .check(z.minLength(1), z.describe('Named instance, found through SQL Browser (no port then)')),
    ),
    database: z.optional(
      z.string().check(z.minLength(1), z.describe('Database to log in to (default master)')),
    ),
    user: z.string().check(z.minLength(1), z.describe('SQL login, or the Windows user with domain')),
    password: z.string().check(z.describe('Usually "${{ secrets.name }}"; never written in the runbook')),
    domain: z.optional(
      z.string().check(z.minLength(1), z.describe('Windows domain: log in with NTLM as domain\\user')),
    ),
    listener: z.optional(
      z
        .boolean()
        .check(
          z.describe(
            'This is an availability group listener: multi-subnet failover on, never used for failover',
          ),
        ),
    ),
    encrypt: z.optional(Switch('Encrypt the connection with TLS (default true)')),
    trust_server_certificate: z.optional(
      Switch("Accept the server's certificate without checking it (default false)"),
    ),
    multi_subnet_failover: z.optional(
      z
        .boolean()
        .check(z.describe('Connect to every address of the name at once (default: true for listeners)')),
    ),
    connect_timeout: z.optional(Duration.check(z.describe('Give up connecting after (default 15s)'))),
    request_timeout: z.optional(
      Duration.check(z.describe('Give up on a query after (default 30s; DDL and failover get longer)')),
    ),
  })
  .check(
    z.refine((t) => t.port === undefined || t.instance === undefined, {
      error: 'give a port or a named instance, not both',
    }),
    z.describe('A SQL Server instance or listener'),
  )

/** A directory server (an AD domain controller, or any LDAP server), reached with ldapts. */
export const LdapTarget = z
  .strictObject({
    url: z.string().check(
      z.regex(/^(ldaps?:\/\/[^/\s]+\/?|\$\{\{.*\}\})$/s, {
        error: 'an ldap url is ldap://host[:port] or ldaps://host[:port]',
      }),
      z.describe('ldaps://dc01.corp.example:636, or ldap://... with starttls (or insecure)'),
    ),
    bind_dn: z.string().check(z.minLength(1), z.describe('The DN (or user@domain) to bind as')),
    password: z.string().check(z.describe('Usually "${{ secrets.name }}"')),
    starttls: z.optional(Switch('Upgrade an ldap:// connection with StartTLS')),
    ca_file: z.optional(
      z.string().check(z.minLength(1), z.describe('PEM file of the CA that signed the DC certificates')),
    ),
    insecure: z.optional(Switch('Allow plain LDAP without TLS: the password crosses the network in clear')),
    timeout: z.optional(Duration.check(z.describe('Connect and operation timeout (default 10s)'))),
  })
  .check(
    // Written as expressions, these are checked again once they have values (ad steps refuse then).
    z.refine(
      (t) =>
        t.url.startsWith('ldaps:') ||
        t.starttls === true ||
        t.insecure === true ||
        [t.url, t.starttls, t.insecure].some(isExpression),
      {
        error:
          'plain ldap:// sends the password in clear: use ldaps://, starttls: true, or say insecure: true',
      },
    ),
    z.refine((t) => !(t.url.startsWith('ldaps:') && t.starttls === true), {
      error: 'starttls is for ldap:// urls; ldaps:// is TLS already',
    }),
    z.describe('A directory server (domain controller)'),
  )

export const TargetSpec = z
  .strictObject({
    hosts: z.optional(
      z.array(z.string().check(z.minLength(1))).check(z.minLength(1), z.describe('Host names or addresses')),
    ),
    instances: z.optional(
      z
        .array(InstanceId)
        .check(z.minLength(1), z.describe('EC2 instance ids, or SSM managed instance ids (mi-...)')),
    ),
    ec2: z.optional(
      z
        .strictObject({
          tags: z
            .record(z.string().check(z.minLength(1)), z.string())
            .check(z.describe('Tags every instance must carry, e.g. { Role: web, Env: prod }')),
          states: z.optional(
            z
              .array(z.enum(['pending', 'running', 'stopping', 'stopped']))
              .check(z.minLength(1), z.describe('Instance states to include (default [running])')),
          ),
        })
        .check(
          z.refine((q) => Object.keys(q.tags).length > 0, { error: 'an ec2 target names at least one tag' }),
          z.describe('EC2 instances found by their tags when a run starts, then pinned for the whole run'),
        ),
    ),
    sql: z.optional(SqlTarget),
    ldap: z.optional(LdapTarget),
    description: text('What these machines are'),
  })
  .check(
    z.refine(
      (t) => [t.hosts, t.instances, t.ec2, t.sql, t.ldap].filter((x) => x !== undefined).length === 1,
      {
        error:
          'a target is exactly one of: hosts, instances, an ec2 tag query, a sql server or an ldap directory',
      },
    ),
    z.describe('The machines, SQL Server instances or directory servers a step acts on'),
  )

export const Needs = z
  .union([Identifier, z.array(Identifier)])
  .check(z.describe('Steps of the same phase that must succeed first'))

export const StepSpec = z
  .strictObject({
    id: Identifier,
    name: text('A human-readable name shown in progress and reports'),
    description: text('What the step is for'),
    uses: z.string().check(z.minLength(1), z.describe('The step type')),
    with: z.optional(z.record(z.string(), z.unknown()).check(z.describe("The step type's parameters"))),
    needs: z.optional(Needs),
    if: z.optional(
      z.union([z.string(), z.boolean()]).check(z.describe('Run the step only when this is true')),
    ),
    timeout: z.optional(Duration),
    retry: z.optional(Retry),
    continue_on_error: z.optional(
      z.boolean().check(z.describe('A failure is recorded but does not stop the phase')),
    ),
  })
  .check(z.describe('One unit of work'))

export const PhaseSpec = z
  .strictObject({
    id: Identifier,
    name: text('A human-readable name'),
    description: text('What the phase achieves'),
    approval: z.optional(
      z
        .enum(['required', 'none'])
        .check(z.describe('required: the operator confirms before the phase starts')),
    ),
    point_of_no_return: z.optional(
      z.boolean().check(z.describe('After this phase completes, rollback needs --force')),
    ),
    on_failure: z.optional(OnFailure),
    concurrency: z.optional(Concurrency.check(z.describe('Steps at once in this phase'))),
    steps: z.array(StepSpec).check(z.minLength(1, { error: 'a phase has at least one step' })),
  })
  .check(z.describe('Steps that run together; its end is a rollback point'))

export const Defaults = z
  .strictObject({
    timeout: z.optional(Duration),
    retry: z.optional(Retry),
    continue_on_error: z.optional(z.boolean()),
  })
  .check(z.describe('Applied to every step that does not say otherwise'))

export const RunbookSpec = z
  .strictObject({
    version: z.literal(1, { error: 'must be 1 (the only runbook format so far)' }),
    name: Identifier.check(z.describe('Names the runbook; runs and locks are kept per name')),
    description: text('What the runbook does'),
    params: z.optional(z.record(Identifier, ParamSpec)),
    secrets: z.optional(z.record(Identifier, SecretSpec)),
    targets: z.optional(z.record(Identifier, TargetSpec)),
    defaults: z.optional(Defaults),
    concurrency: z.optional(Concurrency.check(z.describe('Steps at once in a phase (default 4)'))),
    on_failure: z.optional(OnFailure),
    notify: z.optional(
      z
        .strictObject({
          topic: z.string().check(
            z.regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/, {
              error: 'an SNS topic ARN looks like arn:aws:sns:us-east-1:123456789012:cutover',
            }),
          ),
          on: z.optional(
            z
              .array(
                z.enum(['phase-started', 'phase-completed', 'failed', 'paused', 'rollback', 'completed']),
              )
              .check(z.minLength(1), z.describe('Which milestones to publish (default: all)')),
          ),
        })
        .check(z.describe("Publish the run's milestones to an SNS topic")),
    ),
    phases: z.array(PhaseSpec).check(z.minLength(1, { error: 'a runbook has at least one phase' })),
  })
  .check(z.describe('A switchyard runbook'))

export type RunbookDocument = z.infer<typeof RunbookSpec>
export type PhaseDocument = z.infer<typeof PhaseSpec>
export type StepDocument = z.infer<typeof StepSpec>
export type ParamDocument = z.infer<typeof ParamSpec>
