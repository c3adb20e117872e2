// The structural rules bpmnlint already knows, run in the browser (bpmn-js-bpmnlint); Casepath's own
// rules (roles, forms, clocks, expressions) stay on the server and come back with every save.
import startEventRequired from "bpmnlint/rules/start-event-required";
import endEventRequired from "bpmnlint/rules/end-event-required";
import noDisconnected from "bpmnlint/rules/no-disconnected";
import noImplicitSplit from "bpmnlint/rules/no-implicit-split";
import superfluousGateway from "bpmnlint/rules/superfluous-gateway";
import noDuplicateSequenceFlows from "bpmnlint/rules/no-duplicate-sequence-flows";
import fakeJoin from "bpmnlint/rules/fake-join";
import singleEventDefinition from "bpmnlint/rules/single-event-definition";
import subProcessBlankStartEvent from "bpmnlint/rules/sub-process-blank-start-event";

const RULES = {
  "start-event-required": startEventRequired,
  "end-event-required": endEventRequired,
  "no-disconnected": noDisconnected,
  "no-implicit-split": noImplicitSplit,
  "superfluous-gateway": superfluousGateway,
  "no-duplicate-sequence-flows": noDuplicateSequenceFlows,
  "fake-join": fakeJoin,
  "single-event-definition": singleEventDefinition,
  "sub-process-blank-start-event": subProcessBlankStartEvent,
};

export const lintConfig = {
  config: {
    rules: {
      "start-event-required": "error",
      "end-event-required": "error",
      "no-disconnected": "error",
      "no-implicit-split": "warn",
      "superfluous-gateway": "warn",
      "no-duplicate-sequence-flows": "error",
      "fake-join": "warn",
      "single-event-definition": "error",
      "sub-process-blank-start-event": "error",
    },
  },
  resolver: {
    resolveRule(pkg, name) {
      const rule = RULES[name];
      if (!rule) throw new Error(`unknown rule ${pkg}/${name}`);
      return rule;
    },
    resolveConfig(pkg, name) {
      throw new Error(`unknown config ${pkg}/${name}`);
    },
  },
};
