export { shellQuote, shellJoin, sh, raw, ShellFragment, type ShellValue } from './quote.ts';
