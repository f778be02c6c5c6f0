import { ServiceError } from './service-error.js'

/** A decoded awsJson request body. */
export type JsonInput = Record<string, unknown>

// The JSON services answer a body of the wrong shape with SerializationException, before any validation.
const wrongType = (name: string, expected: string) =>
  new ServiceError(400, 'SerializationException', `${name}: expected ${expected}`)

export function jsonString(input: JsonInput, name: string): string | undefined {
  const value = input[name]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') throw wrongType(name, 'a string')
  return value
}

export function jsonStrings(input: JsonInput, name: string): string[] | undefined {
  const value = input[name]
  if (value === undefined || value === null) return undefined
  if (!Array.isArray(value) || value.some((entry) => typeof entry !== 'string'))
    throw wrongType(name, 'a list of strings')
  return value as string[]
}

export function jsonInteger(input: JsonInput, name: string): number | undefined {
  const value = input[name]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value)) throw wrongType(name, 'an integer')
  return value
}

export function jsonBoolean(input: JsonInput, name: string): boolean | undefined {
  const value = input[name]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'boolean') throw wrongType(name, 'a boolean')
  return value
}

export function jsonObject(input: JsonInput, name: string): JsonInput | undefined {
  const value = input[name]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'object' || Array.isArray(value)) throw wrongType(name, 'an object')
  return value as JsonInput
}

export function jsonObjects(input: JsonInput, name: string): JsonInput[] | undefined {
  const value = input[name]
  if (value === undefined || value === null) return undefined
  if (!Array.isArray(value) || value.some((entry) => typeof entry !== 'object' || entry === null))
    throw wrongType(name, 'a list of objects')
  return value as JsonInput[]
}

/** The JSON services' wording for a value outside its documented range. */
export function validationError(member: string, value: unknown, constraint: string): ServiceError {
  return new ServiceError(
    400,
    'ValidationException',
    `1 validation error detected: Value '${typeof value === 'string' ? value : JSON.stringify(value)}' at '${member}' failed to satisfy constraint: ${constraint}`,
  )
}
