// SQL lives in a feature's repo.ts (or in src/db/): the config decides where this rule applies;
// the rule only recognises SQL. It flags
//  - a string or template literal that starts with an SQL statement keyword followed by more text
//    ('SELECT id FROM …', `UPDATE ${t} SET …`), upper case only, so prose and a bare HTTP method
//    such as 'DELETE' pass;
//  - any `.prepare(…)` or `.exec(…)` call, except `.exec` on a regular expression (a regex literal,
//    `new RegExp(…)`, or a variable initialised with one).
const SQL_START = /^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|PRAGMA|WITH)\b\s+\S/;
const DB_METHODS = new Set(['prepare', 'exec']);

function isRegExpExpression(node) {
  if (!node) return false;
  if (node.type === 'Literal' && node.regex) return true;
  return (node.type === 'NewExpression' || node.type === 'CallExpression') && node.callee.type === 'Identifier' && node.callee.name === 'RegExp';
}

/** @type {import('eslint').Rule.RuleModule} */
export default {
  meta: {
    type: 'problem',
    docs: { description: "forbid SQL outside a feature's repo.ts and src/db/" },
    schema: [],
    messages: {
      literal: "SQL belongs in the owning feature's repo.ts: move this statement there and call the repo.",
      call: "`.{{method}}()` runs SQL: it belongs in the owning feature's repo.ts.",
    },
  },
  create(context) {
    const sourceCode = context.sourceCode;

    /** `re.exec(s)` where `re` is a regular expression we can see defined. */
    function isRegExpReceiver(object) {
      if (isRegExpExpression(object)) return true;
      if (object.type !== 'Identifier') return false;
      let scope = sourceCode.getScope(object);
      while (scope) {
        const variable = scope.set.get(object.name);
        if (variable) {
          return variable.defs.some((def) => def.type === 'Variable' && isRegExpExpression(def.node.init));
        }
        scope = scope.upper;
      }
      return false;
    }

    return {
      Literal(node) {
        if (typeof node.value === 'string' && SQL_START.test(node.value)) {
          context.report({ node, messageId: 'literal' });
        }
      },
      TemplateLiteral(node) {
        // each ${…} stands for one word, so `SELECT ${cols} FROM t` and `SELECT ${cols}` both read as SQL
        const head = node.quasis.map((q) => q.value.cooked ?? q.value.raw).join('_');
        if (SQL_START.test(head)) context.report({ node, messageId: 'literal' });
      },
      CallExpression(node) {
        const callee = node.callee;
        if (callee.type !== 'MemberExpression' || callee.computed || callee.property.type !== 'Identifier') return;
        const method = callee.property.name;
        if (!DB_METHODS.has(method)) return;
        if (method === 'exec' && isRegExpReceiver(callee.object)) return;
        context.report({ node: callee.property, messageId: 'call', data: { method } });
      },
    };
  },
};
