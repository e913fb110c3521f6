// GitHub's GraphQL API (POST /graphql) as the stand-in serves it: the `viewer` query alone, which
// names the account the token acts as (a personal access token's User, the job token's or an App's
// Bot alike). Any other query is refused in GitHub's GraphQL error shape (an answer 200 with
// `errors`) and counted as a violation: the fake has no behaviour for it.

/** The account the token acts as: its login and its id (REST's `user.id`, GraphQL's `databaseId`). */
export interface Viewer {
  login: string;
  databaseId: number;
}

export interface GraphQLAnswer {
  status: number;
  body: unknown;
}

/** The fields of `User` the stand-in answers. */
const VIEWER_FIELDS = new Set(['login', 'databaseId']);
/** What a request body may hold (GitHub's GraphQL over HTTP). */
const BODY_KEYS = new Set(['query', 'variables', 'operationName']);
/** `query Name? { viewer { fields } }`, the only document the stand-in serves. */
const VIEWER_QUERY = /^\s*(?:query(?:\s+[_A-Za-z]\w*)?\s*)?\{\s*viewer\s*\{([^{}]*)\}\s*\}\s*$/;

/** GitHub's answer to a GraphQL request with a JSON `body`, for the token's `viewer`. */
export function answerGraphQL(
  body: unknown,
  viewer: Viewer,
  violation: (text: string) => void,
): GraphQLAnswer {
  const refuse = (message: string, extra: Record<string, unknown> = {}): GraphQLAnswer => {
    violation(`GraphQL: ${message}`);
    return { status: 200, body: { errors: [{ message, ...extra }] } };
  };
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    return refuse('A query attribute must be specified and must be a string.');
  const request = body as Record<string, unknown>;
  const unknown = Object.keys(request).filter((key) => !BODY_KEYS.has(key));
  if (unknown.length > 0) violation(`GraphQL: the body holds ${unknown.join(', ')}, not a GraphQL request's`);
  if (typeof request.query !== 'string')
    return refuse('A query attribute must be specified and must be a string.');
  const { variables } = request;
  if (variables != null && (typeof variables !== 'object' || Array.isArray(variables)))
    return refuse('Variables are invalid JSON.');
  const document = request.query.replace(/#[^\n]*/g, '');
  const found = VIEWER_QUERY.exec(document);
  if (!found)
    return refuse(
      `The GitHub stand-in serves only query { viewer { login databaseId } }, not: ${document.trim()}`,
      { locations: [{ line: 1, column: 1 }] },
    );
  const fields = (found[1] ?? '').split(/[\s,]+/).filter((f) => f !== '');
  if (fields.length === 0)
    return refuse('Parse error on "}" (RCURLY)', { locations: [{ line: 1, column: 1 }] });
  const missing = fields.find((f) => !VIEWER_FIELDS.has(f));
  if (missing !== undefined)
    return refuse(`Field '${missing}' doesn't exist on type 'User'`, {
      path: ['query', 'viewer', missing],
      extensions: { code: 'undefinedField', typeName: 'User', fieldName: missing },
      locations: [{ line: 1, column: document.indexOf(missing) + 1 }],
    });
  const picked = Object.fromEntries(fields.map((f) => [f, viewer[f as keyof Viewer]]));
  return { status: 200, body: { data: { viewer: picked } } };
}
