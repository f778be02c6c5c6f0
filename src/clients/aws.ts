import type { InitializeHandler, InitializeHandlerArguments, MiddlewareStack } from '@smithy/types'
import { ExitCode, SwitchyardError } from '../errors.js'
import { stepScope } from './step-scope.js'

/** How an operator points switchyard at AWS: --region, --profile, or an endpoint (the sandbox). */
export interface AwsSettings {
  region?: string
  profile?: string
  /** Overrides every service's endpoint; AWS_ENDPOINT_URL(_<SERVICE>) do the same from the environment. */
  endpoint?: string
}

/** Attempts per AWS call, the first included; then the error goes to the step's own retry policy. */
export const AWS_MAX_ATTEMPTS = 6

/** A mutating AWS call made during a dry run or plan: refused before it leaves the machine. */
export class DryRunViolation extends SwitchyardError {
  constructor(step: string, operation: string) {
    super(
      `dry run: step ${step} tried ${operation}, which changes AWS; it was refused and nothing was sent`,
      {
        exitCode: ExitCode.runFailed,
        hint: "a step's plan must only read (Describe*, Get*, List*); this is a bug in that step type",
      },
    )
  }
}

/** No region or no credentials: AWS was never reached, so nothing was changed. */
export class AwsNotConfiguredError extends SwitchyardError {
  constructor(message: string, hint: string, cause?: unknown) {
    super(message, { exitCode: ExitCode.invalidInput, hint, cause })
  }
}

const READ_ONLY = /^(Describe|Get|List|Test)/

/** The first retry's wait; SWITCHYARD_AWS_BACKOFF_MS tunes it (the tests make it short). */
const FIRST_BACKOFF_MS = Number(process.env.SWITCHYARD_AWS_BACKOFF_MS) || 500

/** Jittered exponential backoff: 0.5 s, 1 s, 2 s ... up to 20 s, each with up to 50% jitter. */
function backoff(attempt: number): number {
  const base = Math.min(20_000, FIRST_BACKOFF_MS * 2 ** Math.max(0, attempt - 1))
  const delay = Math.round(base * (0.5 + Math.random() / 2))
  stepScope.getStore()?.progress(`AWS throttled or busy, retrying in ${(delay / 1000).toFixed(1)}s`)
  return delay
}

const SERVICE_NAMES: Record<string, string> = {
  route53: 'Route 53',
  ec2: 'EC2',
  ssm: 'SSM',
  sts: 'STS',
  sns: 'SNS',
  cloudwatch: 'CloudWatch',
  s3: 'S3',
  elbv2: 'ELBv2',
  autoscaling: 'Auto Scaling',
}

type ClientConstructor<C> = new (config: Record<string, unknown>) => C

/**
 * One place builds AWS clients: lazily (the SDK is imported only by steps that use it), one per
 * service and region, each with bounded retries and the dry-run guard.
 */
export class AwsClients {
  private readonly cache = new Map<string, Promise<unknown>>()

  constructor(private readonly settings: AwsSettings = {}) {}

  get region(): string | undefined {
    return this.settings.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION
  }

  route53 = () =>
    this.client('route53', 'us-east-1', () => import('@aws-sdk/client-route-53').then((m) => m.Route53Client))
  ec2 = (region?: string) =>
    this.client('ec2', region, () => import('@aws-sdk/client-ec2').then((m) => m.EC2Client))
  ssm = (region?: string) =>
    this.client('ssm', region, () => import('@aws-sdk/client-ssm').then((m) => m.SSMClient))
  sts = (region?: string) =>
    this.client('sts', region, () => import('@aws-sdk/client-sts').then((m) => m.STSClient))
  sns = (region?: string) =>
    this.client('sns', region, () => import('@aws-sdk/client-sns').then((m) => m.SNSClient))
  cloudwatch = (region?: string) =>
    this.client('cloudwatch', region, () =>
      import('@aws-sdk/client-cloudwatch').then((m) => m.CloudWatchClient),
    )
  elbv2 = (region?: string) =>
    this.client('elbv2', region, () =>
      import('@aws-sdk/client-elastic-load-balancing-v2').then((m) => m.ElasticLoadBalancingV2Client),
    )
  autoscaling = (region?: string) =>
    this.client('autoscaling', region, () =>
      import('@aws-sdk/client-auto-scaling').then((m) => m.AutoScalingClient),
    )
  /** Path style where an endpoint is set (the sandbox answers 127.0.0.1, not bucket.127.0.0.1). */
  s3 = (region?: string) =>
    this.client('s3', region, () => import('@aws-sdk/client-s3').then((m) => m.S3Client), {
      forcePathStyle: this.endpointOverridden('S3'),
      followRegionRedirects: true,
    })

  /** Whether calls to the service go to a configured endpoint instead of AWS's own. */
  private endpointOverridden(service: string): boolean {
    return Boolean(
      this.settings.endpoint || process.env[`AWS_ENDPOINT_URL_${service}`] || process.env.AWS_ENDPOINT_URL,
    )
  }

  private client<C>(
    service: string,
    region: string | undefined,
    load: () => Promise<ClientConstructor<C>>,
    extra: Record<string, unknown> = {},
  ): Promise<C> {
    const where = region ?? this.region
    if (!where)
      throw new AwsNotConfiguredError(
        `no AWS region for ${service}`,
        'pass --region, set AWS_REGION, or give the runbook a region param',
      )
    const key = `${service}:${where}`
    let pending = this.cache.get(key) as Promise<C> | undefined
    if (!pending) {
      pending = this.build(SERVICE_NAMES[service] ?? service, where, load, extra)
      this.cache.set(key, pending)
    }
    return pending
  }

  private async build<C>(
    service: string,
    region: string,
    load: () => Promise<ClientConstructor<C>>,
    extra: Record<string, unknown>,
  ): Promise<C> {
    // The SDK's notice about Node 22 is for us, not for an operator mid-cutover on stderr.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
    const [Constructor, { ConfiguredRetryStrategy }] = await Promise.all([
      load(),
      import('@smithy/core/retry'),
    ])
    const client = new Constructor({
      region,
      ...(this.settings.profile ? { profile: this.settings.profile } : {}),
      ...(this.settings.endpoint ? { endpoint: this.settings.endpoint } : {}),
      retryStrategy: new ConfiguredRetryStrategy(AWS_MAX_ATTEMPTS, backoff),
      // A hung connection fails (and is retried) instead of holding a step until its timeout.
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000, throwOnRequestTimeout: true },
      ...extra,
    })
    addCallContext(client as unknown as { middlewareStack: MiddlewareStack<object, object> }, service)
    return client
  }

  /** Closes every client's connections, so a finished run leaves no sockets open. */
  async destroy(): Promise<void> {
    for (const pending of this.cache.values()) ((await pending) as { destroy(): void }).destroy()
    this.cache.clear()
  }
}

/**
 * Refuses anything but reads while the calling step is in a dry run (naming the step and the
 * operation), and makes a failed call say which service and operation failed, with AWS's error code
 * and how many attempts were made — the error's name (the code) is kept for callers that test it.
 */
function addCallContext(client: { middlewareStack: MiddlewareStack<object, object> }, service: string): void {
  client.middlewareStack.add(
    (next: InitializeHandler<object, object>, context: { commandName?: string }) =>
      async (args: InitializeHandlerArguments<object>) => {
        const scope = stepScope.getStore()
        const operation = String(context.commandName ?? 'unknown').replace(/Command$/, '')
        if (scope?.dryRun && !READ_ONLY.test(operation)) throw new DryRunViolation(scope.step, operation)
        try {
          return await next(args)
        } catch (error) {
          const e = error as Error & { $metadata?: { attempts?: number } }
          if (e instanceof Error && !e.message.startsWith(`${service} ${operation}`)) {
            const attempts = e.$metadata?.attempts
            e.message = `${service} ${operation} failed${attempts && attempts > 1 ? ` after ${attempts} attempts` : ''}: ${e.name}: ${e.message}`
          }
          throw error
        }
      },
    { step: 'initialize', name: 'switchyardCallContext', priority: 'high' },
  )
}
