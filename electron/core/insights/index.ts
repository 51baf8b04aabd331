export { computeInsights } from './insights.ts';
