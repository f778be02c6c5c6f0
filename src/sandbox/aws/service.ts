import type { IncomingHttpHeaders } from 'node:http'
import type { MemberName } from './xml-write.js'

export type ServiceName =
  | 'route53'
  | 'ec2'
  | 'ssm'
  | 'cloudwatch'
  | 'sns'
  | 'sts'
  | 's3'
  | 'elbv2'
  | 'autoscaling'

export type Protocol = 'restXml' | 'restXmlS3' | 'ec2Query' | 'awsQuery' | 'awsJson1_0' | 'awsJson1_1'

/** One HTTP request, its body read whole. */
export interface SandboxRequest {
  method: string
  path: string
  query: URLSearchParams
  headers: IncomingHttpHeaders
  body: string
}

/** A request understood: what to record in the log, and the work that answers it. */
export interface DecodedCall {
  params: unknown
  run: () => unknown | Promise<unknown>
}

/** How one emulated service is recognised, read and answered. */
export interface ServiceEndpoint {
  name: ServiceName
  protocol: Protocol
  /** The SigV4 signing name in the credential scope. */
  signingName: string
  /** The XML namespace of responses (XML protocols only). */
  namespace?: string
  /** restXml only: the element each list's entries are written as. */
  memberName?: MemberName
  /** What this service answers a throttled request with. */
  throttle: { status: number; code: string; message: string }
  /** Without a credential scope: whether the path, X-Amz-Target or form Version names this service. */
  recognises(request: SandboxRequest): boolean
  /** The operation the request asks for, without reading its parameters; never throws. */
  operationOf(request: SandboxRequest): string | undefined
  /** Reads the parameters and binds the work; throws ServiceError for a request it cannot accept. */
  decode(request: SandboxRequest, operation: string): DecodedCall
}
