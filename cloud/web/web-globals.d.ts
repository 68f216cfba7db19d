// What the dashboard's plain JavaScript finds on window besides the DOM: ECharts, loaded by a <script>
// tag from /vendor (built by build-vendor.mjs). Only for the type-check of cloud/web (tsconfig.web.json).
interface Window {
  echarts: any;
}
