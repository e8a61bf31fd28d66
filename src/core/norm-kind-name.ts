/** How a trial reads width telemetry; see `src/variance` (which is to own this name). */
export type NormKindName = 'outgoing' | 'paired';
