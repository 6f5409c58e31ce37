import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

import { useDocumentTheme } from "./useDocumentTheme";

export interface Series {
  label: string;
  // A CSS variable name, e.g. "--series-1", resolved against the current theme.
  color: string;
}

// A line chart of time series: `x` in seconds since the epoch, one array per series. The chart
// keeps a fixed height, so streaming data never shifts the layout.
export function TimeSeries(props: {
  x: number[];
  ys: number[][];
  series: Series[];
  height?: number;
  label?: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const height = props.height ?? 180;
  const seriesKey = props.series.map((s) => s.label).join("|");
  // Colours come from the theme's CSS variables, read when the chart is made: a new theme
  // makes a new chart.
  const theme = useDocumentTheme();

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const css = getComputedStyle(element);
    const axis = {
      stroke: css.getPropertyValue("--muted").trim() || "#888",
      grid: { stroke: css.getPropertyValue("--grid").trim() || "#8883", width: 1 },
      ticks: { show: false },
    };
    const chart = new uPlot(
      {
        width: element.clientWidth || 600,
        height,
        legend: { show: true },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true } },
        axes: [axis, { ...axis, size: 50 }],
        series: [
          {},
          ...props.series.map((s) => ({
            label: s.label,
            stroke: css.getPropertyValue(s.color).trim() || s.color,
            width: 1.5,
            points: { show: false },
          })),
        ],
      },
      [props.x, ...props.ys],
      element,
    );
    plot.current = chart;
    const resize = new ResizeObserver(() => chart.setSize({ width: element.clientWidth, height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
    // Series, height and theme define the chart; data updates go through setData below.
  }, [seriesKey, height, theme]);

  useEffect(() => {
    plot.current?.setData([props.x, ...props.ys]);
  }, [props.x, props.ys]);

  return <div ref={host} className="chart" aria-label={props.label} data-testid="chart" />;
}
