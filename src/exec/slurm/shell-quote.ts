// The job script imports quoting from here; the implementation is shared with templating and local stages.
export { shellQuote } from '../../util/shell-quote.js';
