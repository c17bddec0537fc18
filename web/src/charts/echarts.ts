/**
 * ECharts with only what the dashboard draws (Sankey, lines with a band, bars), loaded on
 * demand by chart.tsx so pages without a chart never download it. SVG keeps labels crisp and
 * readable by tests and assistive tools.
 */
import { BarChart, LineChart, SankeyChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';

echarts.use([SankeyChart, LineChart, BarChart, GridComponent, TooltipComponent, LegendComponent, SVGRenderer]);

export { echarts };
