// A feature's repo is reached only by the feature itself and by the wiring (src/services.ts):
// any other module goes through the feature's service. The import is resolved against the
// importing file, so `../b/repo.js`, `../../features/b/repo.js` and `import('../b/repo.js')`
// are all caught, whatever the depth of the importing file.
import path from 'node:path';

const FEATURE_FILE = /^src\/features\/([^/]+)\//;
const REPO_MODULE = /^src\/features\/([^/]+)\/repo(?:\.[cm]?[jt]s|\/.*)?$/;

/** @type {import('eslint').Rule.RuleModule} */
export default {
  meta: {
    type: 'problem',
    docs: { description: "forbid importing another feature's repo; call its service instead" },
    schema: [],
    messages: {
      foreign: "'{{source}}' is the repo of feature '{{owner}}': only that feature and src/services.ts may import it; call the '{{owner}}' service instead.",
    },
  },
  create(context) {
    const cwd = context.cwd;
    const relative = (file) => path.relative(cwd, file).split(path.sep).join('/');
    const importer = relative(context.filename);
    const ownFeature = FEATURE_FILE.exec(importer)?.[1];

    function check(sourceNode) {
      if (!sourceNode || sourceNode.type !== 'Literal' || typeof sourceNode.value !== 'string') return;
      const source = sourceNode.value;
      if (!source.startsWith('.')) return;
      const target = relative(path.resolve(path.dirname(context.filename), source));
      const owner = REPO_MODULE.exec(target)?.[1];
      if (owner && owner !== ownFeature) {
        context.report({ node: sourceNode, messageId: 'foreign', data: { source, owner } });
      }
    }

    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
    };
  },
};
