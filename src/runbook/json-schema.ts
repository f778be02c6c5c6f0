import * as z from 'zod/mini'
import type { StepDefinition } from '../steps/contract.js'
import { RunbookSpec } from './schema.js'

type JsonSchema = Record<string, unknown>

/**
 * A value that is one expression, `${{ ... }}` and nothing around it (the first `}}` closes it, as
 * in the loader): the only way a string can stand for a number, a boolean, a list or a mapping once
 * resolved. Expressions may span lines.
 */
const EXPRESSION = {
  type: 'string',
  pattern: '^\\$\\{\\{(?:(?!\\}\\})[\\s\\S])*\\}\\}$',
  description: 'An expression: ${{ ... }}',
}

/** A string with an expression in it, such as `${{ params.minutes }}m`: it is checked once resolved. */
const TEMPLATE = {
  type: 'string',
  pattern: '\\$\\{\\{[\\s\\S]*\\}\\}',
  description: 'Text with ${{ ... }} expressions in it',
}

/**
 * A step parameter may be written with expressions wherever a plain string would not fit, as the
 * loader allows: a constrained string (pattern, enum, format) as text with expressions in it,
 * anything else as one whole expression. `with` itself stays a mapping.
 */
function allowExpressions(ctx: { jsonSchema: JsonSchema; path: readonly (string | number)[] }): void {
  const schema = ctx.jsonSchema
  if (ctx.path.length === 0) return
  const isString = schema.type === 'string'
  const plainString = isString && !schema.pattern && !schema.enum && !schema.format
  if (plainString || schema.type === undefined) return
  const original = { ...schema }
  for (const key of Object.keys(schema)) delete schema[key]
  if (original.description) schema.description = original.description
  schema.anyOf = [original, isString ? TEMPLATE : EXPRESSION]
}

/**
 * The JSON Schema of the runbook format, for editors (yaml-language-server) and `switchyard schema`:
 * the document, plus each step type's `with`, chosen by `uses`.
 */
export function runbookJsonSchema(stepTypes: ReadonlyMap<string, StepDefinition>): JsonSchema {
  const root = z.toJSONSchema(RunbookSpec, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
  }) as JsonSchema
  const phases = (root.properties as Record<string, JsonSchema>).phases as JsonSchema
  const phase = phases.items as JsonSchema
  const steps = (phase.properties as Record<string, JsonSchema>).steps as JsonSchema
  const step = steps.items as JsonSchema
  const properties = step.properties as Record<string, JsonSchema>
  const types = [...stepTypes.values()].sort((a, b) => a.type.localeCompare(b.type))
  properties.uses = {
    type: 'string',
    description: 'The step type',
    enum: types.map((t) => t.type),
  }
  step.allOf = types.map((t) => {
    const withSchema = z.toJSONSchema(t.params, {
      target: 'draft-2020-12',
      io: 'input',
      unrepresentable: 'any',
      override: allowExpressions,
    }) as JsonSchema
    delete withSchema.$schema
    // A type whose parameters have something required needs a `with:` block, as the loader says.
    const needsWith = !t.params.safeParse({}).success
    return {
      if: { properties: { uses: { const: t.type } }, required: ['uses'] },
      then: {
        ...(needsWith ? { required: ['with'] } : {}),
        properties: { with: { ...withSchema, description: t.summary } },
      },
    }
  })
  root.patternProperties = { '^x-': { description: 'Free for YAML anchors; ignored by switchyard' } }
  return {
    $id: 'https://switchyard.dev/schema/runbook.schema.json',
    title: 'switchyard runbook',
    ...root,
  }
}
