// Preloaded (`node --import`) by CLIs that share modules with the worker: the worker's TypeScript
// imports its neighbours without an extension, as the bundler allows, and Node's type stripping
// needs one. A relative import from a .ts file that Node cannot find is tried again with `.ts`.
import { registerHooks } from 'node:module';

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (error) {
      const fromTypeScript = context.parentURL?.endsWith('.ts') && /^\.\.?\//.test(specifier);
      if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !fromTypeScript) throw error;
      return nextResolve(`${specifier}.ts`, context);
    }
  },
});
