/** The layout worker's bundled code, as text (esbuild.mjs builds it and provides this module). */
declare module 'emp:layout-worker' {
  const source: string;
  export default source;
}
