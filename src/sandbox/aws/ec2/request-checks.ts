import { type FormValue, formBoolean, formString } from '../form-params.js'
import type { QueryParams } from '../query-endpoint.js'
import { ServiceError } from '../service-error.js'

/** EC2's DryRun: a request that would have succeeded answers 412 DryRunOperation and changes nothing. */
export function dryRun(params: QueryParams): void {
  if (formBoolean(params, 'DryRun'))
    throw new ServiceError(412, 'DryRunOperation', 'Request would have succeeded, but DryRun flag is set.')
}

/** A parameter the operation cannot do without; `path` names it as EC2's message does (e.g. InstanceSpecification.InstanceId). */
export function requiredString(params: Record<string, FormValue>, name: string, path = name): string {
  const value = formString(params, name)
  if (!value)
    throw new ServiceError(400, 'MissingParameter', `The request must contain the parameter ${path}`)
  return value
}
