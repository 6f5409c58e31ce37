// A small trend line (SVG), e.g. CPU over the last minutes. Values are drawn against `max`
// (default: the largest value), so 0–100% series keep their scale.
export function Sparkline(props: { values: number[]; max?: number; width?: number; height?: number; label: string }) {
  const width = props.width ?? 120;
  const height = props.height ?? 28;
  const values = props.values;
  const max = props.max ?? Math.max(1e-9, ...values);
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const points = values
    .map((v, i) => `${(i * step).toFixed(1)},${(height - 2 - (Math.min(v, max) / max) * (height - 4)).toFixed(1)}`)
    .join(" ");
  const last = values.at(-1);
  return (
    <svg className="sparkline" width={width} height={height} role="img" aria-label={props.label}>
      <title>{`${props.label}: ${last === undefined ? "no data" : last.toFixed(1)}`}</title>
      {values.length > 0 && <polyline points={points} fill="none" />}
    </svg>
  );
}
