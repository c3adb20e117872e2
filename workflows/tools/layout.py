"""Write BPMN DI (diagram coordinates) for a Casepath pathway by a simple layered layout.

Usage: ``python workflows/tools/layout.py workflows/pathways/*/*.bpmn`` rewrites each file in place:
any existing ``bpmndi:BPMNDiagram`` is dropped and a new one is written, so the semantic part of the
diagram (the part people author and review) stays the source of truth.

The layout, per container (the process, then each expanded sub-process inside out):

* ranks (columns) by longest path from the start events, loops ignored (back edges found by DFS);
  a boundary event counts as an edge from the activity it is attached to;
* rows inside each lane by a DFS that follows default and unconditional flows first, so the main
  path stays on one line and branches, bypasses and boundary paths take the rows below; a branch
  that never reaches an end (a loop beside the main flow that a terminate end event ends, e.g.
  "risk changed → re-assessment" in a stay) comes last, on a row of its own below everything else;
* lanes are horizontal bands in XML order inside the participant; a sub-process is one (large) node
  of its parent and is laid out recursively, its boundary events sit on its bottom edge;
* edges are orthogonal; of a few candidate routes the one crossing the fewest shapes wins, then the
  one running least along other flows; loops run back in the gap below their row.

The output is deterministic: running the tool twice gives the same file.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
NS = {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "di": DI}

EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent"}
GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway"}
ACTIVITIES = {"task", "userTask", "scriptTask", "manualTask", "serviceTask", "businessRuleTask", "sendTask",
              "receiveTask", "callActivity"}  # fmt: skip
SUBPROCESS = "subProcess"
FLOW_NODES = EVENTS | GATEWAYS | ACTIVITIES | {SUBPROCESS}

TASK_W, TASK_H = 130, 80
EVENT = 36
GATEWAY = 50
COL_GAP = 60  # between columns
ROW_GAP = 80  # between rows of one lane; loops run back in it
LANE_PAD = 35  # above the first and below the last row of a lane
POOL_LABEL = 30  # the participant's name strip
LANE_LABEL = 30  # each lane's name strip
MARGIN = 40  # between a lane's label strip and its first column
SUB_PAD_X, SUB_PAD_TOP, SUB_PAD_BOTTOM = 35, 45, 75
CHANNEL = 50  # how far below a row a loop runs back


def local(element: etree._Element) -> str:
    return etree.QName(element).localname


@dataclass
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    def moved(self, dx: float, dy: float) -> Box:
        return Box(self.x + dx, self.y + dy, self.w, self.h)


@dataclass
class Flow:
    id: str
    source: str  # a node of the container (a boundary event's host for boundary flows)
    target: str
    priority: int  # 0 default/unconditional, 1 conditional, 2 from a boundary event
    element: etree._Element
    boundary: str | None = None  # the boundary event the flow leaves from


@dataclass
class Container:
    element: etree._Element
    nodes: list[str] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)
    flows: list[Flow] = field(default_factory=list)
    boundaries: dict[str, list[str]] = field(default_factory=dict)  # host -> boundary event ids
    lane_of: dict[str, str] = field(default_factory=dict)
    lanes: list[tuple[str, str]] = field(default_factory=list)  # (lane id, name); empty: one band
    # results, relative to the container's content origin until placed
    rank: dict[str, int] = field(default_factory=dict)
    row: dict[str, int] = field(default_factory=dict)
    back: set[str] = field(default_factory=set)  # ids of flows that run backwards
    size: dict[str, tuple[float, float]] = field(default_factory=dict)
    box: dict[str, Box] = field(default_factory=dict)
    band_bottom: dict[str, float] = field(default_factory=dict)
    col_x: list[float] = field(default_factory=list)
    col_w: list[float] = field(default_factory=list)
    lane_box: dict[str, Box] = field(default_factory=dict)
    width: float = 0.0
    height: float = 0.0


def read_container(element: etree._Element) -> Container:
    container = Container(element)
    for child in element:
        if not isinstance(child.tag, str) or etree.QName(child).namespace != BPMN:
            continue
        kind = local(child)
        if kind in FLOW_NODES:
            container.nodes.append(child.get("id"))
            container.kinds[child.get("id")] = kind
        elif kind == "boundaryEvent":
            container.boundaries.setdefault(child.get("attachedToRef"), []).append(child.get("id"))
            container.kinds[child.get("id")] = kind
    host_of = {event: host for host, events in container.boundaries.items() for event in events}
    defaults = {node.get("default") for node in element if isinstance(node.tag, str) and node.get("default")}
    for flow in element.findall(f"{{{BPMN}}}sequenceFlow"):
        source, target = flow.get("sourceRef"), flow.get("targetRef")
        conditional = (
            flow.find(f"{{{BPMN}}}conditionExpression") is not None and flow.get("id") not in defaults
        )
        if source in host_of:
            container.flows.append(Flow(flow.get("id"), host_of[source], target, 2, flow, boundary=source))
        else:
            container.flows.append(Flow(flow.get("id"), source, target, 1 if conditional else 0, flow))
    lane_set = element.find(f"{{{BPMN}}}laneSet")
    if lane_set is not None:
        for lane in lane_set.findall(f"{{{BPMN}}}lane"):
            container.lanes.append((lane.get("id"), lane.get("name") or ""))
            for ref in lane.findall(f"{{{BPMN}}}flowNodeRef"):
                container.lane_of[(ref.text or "").strip()] = lane.get("id")
        for node in container.nodes:  # a node no lane names goes to the first lane
            container.lane_of.setdefault(node, container.lanes[0][0])
    return container


# --- ranks and rows -------------------------------------------------------------------------------


def outgoing(container: Container, node: str) -> list[Flow]:
    flows = [f for f in container.flows if f.source == node]
    return sorted(flows, key=lambda f: f.priority)  # stable: document order inside a priority


def find_back_edges(container: Container) -> None:
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    starts = [n for n in container.nodes if container.kinds[n] == "startEvent"]
    for root in starts + container.nodes:
        if root in state:
            continue
        stack = [(root, iter(outgoing(container, root)))]
        state[root] = 1
        while stack:
            node, flows = stack[-1]
            flow = next(flows, None)
            if flow is None:
                state[node] = 2
                stack.pop()
            elif state.get(flow.target) == 1:
                container.back.add(flow.id)
            elif flow.target not in state:
                state[flow.target] = 1
                stack.append((flow.target, iter(outgoing(container, flow.target))))


def assign_ranks(container: Container) -> None:
    forward = [f for f in container.flows if f.id not in container.back]
    incoming = {n: 0 for n in container.nodes}
    for flow in forward:
        incoming[flow.target] += 1
    ready = [n for n in container.nodes if incoming[n] == 0]
    rank = dict.fromkeys(container.nodes, 0)
    while ready:
        node = ready.pop(0)
        for flow in forward:
            if flow.source == node:
                rank[flow.target] = max(rank[flow.target], rank[node] + 1)
                incoming[flow.target] -= 1
                if incoming[flow.target] == 0:
                    ready.append(flow.target)
    container.rank = rank


def reaching_an_end(container: Container) -> set[str]:
    """Nodes from which some end can be reached: an end event, or a node with no outgoing flow."""
    sources = {f.source for f in container.flows}
    found = {n for n in container.nodes if container.kinds[n] == "endEvent" or n not in sources}
    grew = True
    while grew:
        grew = False
        for flow in container.flows:
            if flow.target in found and flow.source not in found:
                found.add(flow.source)
                grew = True
    return found


def assign_rows(container: Container) -> None:
    """Rows by DFS: main paths first, boundary paths after, each edge's horizontal stretch kept clear.

    A node takes the row it was reached from if its edge can stay straight, otherwise the next free
    row below. Once both ends of a flow are placed, the cells its horizontal stretch crosses are
    reserved, so nodes placed later (branches, then boundary paths) do not land on the line.
    A branch from which no end can be reached (a loop only a terminate end event stops) is set
    aside and placed last, from a fresh row below every row of its lane, so it does not weave
    through the rows of the flow it runs beside.
    """
    taken: set[tuple[str, int, int]] = set()
    lane = container.lane_of
    ends = reaching_an_end(container)
    aside: list[Flow] = []  # flows into a branch that never ends, walked last

    def cell(node: str, rank: int, row: int) -> tuple[str, int, int]:
        return (lane.get(node, ""), rank, row)

    def clear(node: str, source: str, row: int) -> bool:
        between = range(container.rank[source] + 1, container.rank[node])
        return all(cell(node, k, row) not in taken for k in between)

    def free(node: str, row: int, source: str | None) -> bool:
        """The cell is free and the edge from ``source`` has a clear row to run along."""
        if cell(node, container.rank[node], row) in taken:
            return False
        if source is None or lane.get(source, "") != lane.get(node, ""):
            return True
        if row == container.row[source] or container.kinds[source] in GATEWAYS:
            return clear(node, source, row)
        return clear(node, source, container.row[source]) or clear(node, source, row)

    def reserve(flow: Flow) -> None:
        source, target = flow.source, flow.target
        if flow.id in container.back or flow.priority == 2 or lane.get(source, "") != lane.get(target, ""):
            return
        between = range(container.rank[source] + 1, container.rank[target])
        rows = [container.row[source], container.row[target]]
        if container.kinds[source] in GATEWAYS:
            rows.reverse()  # a split turns at once, a task runs on and turns late
        clear = [row for row in rows if all(cell(target, k, row) not in taken for k in between)]
        row = (clear or rows)[0]
        for k in between:
            taken.add(cell(target, k, row))

    def place(node: str, preferred: int, source: str | None) -> None:
        row = preferred
        while not free(node, row, source):
            row += 1
        container.row[node] = row
        taken.add(cell(node, container.rank[node], row))
        for flow in container.flows:
            other = flow.target if flow.source == node else flow.source if flow.target == node else None
            if other is not None and other in container.row and other != node:
                reserve(flow)

    def walk(root: str, via: Flow | None, floor: int | None = None) -> None:
        stack: list[tuple[str, Flow | None]] = [(root, via)]
        while stack:  # preorder: a whole path is placed before the next branch of a split
            node, via = stack.pop()
            if node in container.row:
                continue
            if via is None:
                place(node, floor or 0, None)
            elif node == root and floor is not None:
                place(node, floor, via.source)
            else:
                source = via.source
                same_lane = lane.get(node, "") == lane.get(source, "")
                preferred = container.row[source] + (1 if via.priority == 2 else 0) if same_lane else 0
                place(node, preferred, source if via.priority != 2 else None)
            follow = [f for f in outgoing(container, node) if f.id not in container.back and f.priority != 2]
            if node in ends:
                aside.extend(f for f in follow if f.target not in ends)
                follow = [f for f in follow if f.target in ends]
            stack.extend((f.target, f) for f in reversed(follow))

    def below_all(node: str) -> int:
        rows = [container.row[n] for n in container.row if lane.get(n, "") == lane.get(node, "")]
        return max(rows, default=-1) + 1

    for start in [n for n in container.nodes if container.kinds[n] == "startEvent"]:
        walk(start, None)
    pending = True
    while pending:  # boundary paths, in the order their hosts stand; then the branches set aside
        pending = False
        hosts = sorted((n for n in container.row), key=lambda n: (container.rank[n], container.row[n]))
        for host in hosts:
            for flow in outgoing(container, host):
                if flow.priority == 2 and flow.target not in container.row:
                    walk(flow.target, flow)
                    pending = True
        if not pending:
            waiting = list(aside)
            aside.clear()
            for flow in waiting:
                if flow.target not in container.row:  # an earlier branch set aside may have placed it
                    walk(flow.target, flow, below_all(flow.target))
                    pending = True
    for node in container.nodes:
        if node not in container.row:
            walk(node, None)


# --- geometry ---------------------------------------------------------------------------------------


def node_size(container: Container, node: str, inner: dict[str, Container]) -> tuple[float, float]:
    kind = container.kinds[node]
    if kind in EVENTS:
        return EVENT, EVENT
    if kind in GATEWAYS:
        return GATEWAY, GATEWAY
    if kind == SUBPROCESS:
        sub = inner[node]
        return sub.width, sub.height
    return TASK_W, TASK_H


def place_nodes(container: Container, origin_x: float, origin_y: float) -> None:
    """Boxes relative to (origin_x, origin_y): columns by rank, rows inside lanes (or one band)."""
    ranks = max(container.rank.values(), default=0) + 1
    col_w = [0.0] * ranks
    for node in container.nodes:
        col_w[container.rank[node]] = max(col_w[container.rank[node]], container.size[node][0])
    col_x, x = [], origin_x
    for width in col_w:
        col_x.append(x)
        x += width + COL_GAP
    container.col_x, container.col_w = col_x, col_w
    container.width = x - COL_GAP - origin_x
    bands = [lane_id for lane_id, _ in container.lanes] or [""]
    y = origin_y
    for band in bands:
        members = [n for n in container.nodes if container.lane_of.get(n, "") == band or not container.lanes]
        rows = max((container.row[n] for n in members), default=0) + 1
        heights = [0.0] * rows
        for node in members:
            heights[container.row[node]] = max(heights[container.row[node]], container.size[node][1])
        heights = [h or TASK_H for h in heights]
        pad = LANE_PAD if container.lanes else 0
        row_y, top = [], y + pad
        for height in heights:
            row_y.append(top)
            top += height + ROW_GAP
        band_height = top - ROW_GAP + pad - y
        for node in members:
            width, height = container.size[node]
            row = container.row[node]
            rank = container.rank[node]
            box_x = col_x[rank] + (col_w[rank] - width) / 2
            box_y = row_y[row] + (heights[row] - height) / 2
            container.box[node] = Box(box_x, box_y, width, height)
            container.band_bottom[node] = row_y[row] + heights[row]
        if container.lanes:
            container.lane_box[band] = Box(0, y, 0, band_height)
        y += band_height
    container.height = y - origin_y


def shift(container: Container, dx: float, dy: float, inner: dict[str, Container]) -> None:
    for node, box in container.box.items():
        container.box[node] = box.moved(dx, dy)
        container.band_bottom[node] += dy
    container.col_x = [x + dx for x in container.col_x]
    for node in container.nodes:
        if node in inner:
            shift(inner[node], dx, dy, inner)


def layout_container(container: Container, inner: dict[str, Container]) -> None:
    """Lay out ``container`` (sub-processes first), boxes relative to its own top-left corner."""
    for node in container.nodes:
        if container.kinds[node] == SUBPROCESS:
            sub = read_container(container.element.find(f"{{{BPMN}}}subProcess[@id='{node}']"))
            inner[node] = sub
            layout_container(sub, inner)
            sub.width += 2 * SUB_PAD_X
            sub.height += SUB_PAD_TOP + SUB_PAD_BOTTOM
    for node in container.nodes:
        container.size[node] = node_size(container, node, inner)
    find_back_edges(container)
    assign_ranks(container)
    assign_rows(container)
    if container.lanes:
        place_nodes(container, POOL_LABEL + LANE_LABEL + MARGIN, 0)
    else:
        place_nodes(container, SUB_PAD_X, SUB_PAD_TOP)
    for node in container.nodes:  # a sub-process's content moves with it
        if node in inner:
            box = container.box[node]
            shift(inner[node], box.x, box.y, inner)


# --- boundary events, edges, labels -----------------------------------------------------------------


def boundary_boxes(container: Container, inner: dict[str, Container]) -> dict[str, Box]:
    """Boundary events on their host's bottom edge; the one whose path goes highest sits rightmost."""
    boxes: dict[str, Box] = {}
    targets = {f.boundary: f.target for f in container.flows if f.boundary}
    for host, events in container.boundaries.items():
        host_box = container.box[host]
        order = sorted(events, key=lambda e: -container.box[targets[e]].cy if e in targets else 0)
        big = container.kinds[host] == SUBPROCESS
        spacing = 140.0 if big else min(45.0, host_box.w / (len(order) + 1))
        last = host_box.right - (110.0 if big else 30.0)
        for index, event in enumerate(order):
            cx = last - spacing * (len(order) - 1 - index)
            boxes[event] = Box(cx - EVENT / 2, host_box.bottom - EVENT / 2, EVENT, EVENT)
    for node in container.nodes:
        if node in inner:
            boxes.update(boundary_boxes(inner[node], inner))
    return boxes


Point = tuple[float, float]
Segment = tuple[Point, Point]


def segments(points: list[Point]) -> list[Segment]:
    return list(itertools.pairwise(points))


def crossings(points: list[Point], obstacles: list[Box]) -> int:
    """How many shapes the path runs through."""
    count = 0
    for (x1, y1), (x2, y2) in segments(points):
        lo_x, hi_x, lo_y, hi_y = min(x1, x2), max(x1, x2), min(y1, y2), max(y1, y2)
        for box in obstacles:
            if lo_x < box.right - 1 and hi_x > box.x + 1 and lo_y < box.bottom - 1 and hi_y > box.y + 1:
                count += 1
    return count


def overlap_and_cuts(points: list[Point], routed: list[Segment]) -> tuple[float, int]:
    """Length the path runs along already drawn flows, and how many of them it cuts across."""
    length, cuts = 0.0, 0
    for (ax1, ay1), (ax2, ay2) in segments(points):
        for (bx1, by1), (bx2, by2) in routed:
            a_flat, b_flat = abs(ay1 - ay2) < 1, abs(by1 - by2) < 1
            if a_flat and b_flat and abs(ay1 - by1) < 2:
                length += max(0.0, min(max(ax1, ax2), max(bx1, bx2)) - max(min(ax1, ax2), min(bx1, bx2)))
            elif not a_flat and not b_flat and abs(ax1 - bx1) < 2:
                length += max(0.0, min(max(ay1, ay2), max(by1, by2)) - max(min(ay1, ay2), min(by1, by2)))
            elif a_flat != b_flat:
                (hx1, hx2, hy), (vx, vy1, vy2) = (
                    ((ax1, ax2, ay1), (bx1, by1, by2)) if a_flat else ((bx1, bx2, by1), (ax1, ay1, ay2))
                )
                if min(hx1, hx2) + 1 < vx < max(hx1, hx2) - 1 and min(vy1, vy2) + 1 < hy < max(vy1, vy2) - 1:
                    cuts += 1
    return length, cuts


def best(candidates: list[list[Point]], obstacles: list[Box], routed: list[Segment]) -> list[Point]:
    """Fewest shapes crossed, then least running along other flows, then fewest flows cut; ties: first."""

    def cost(points: list[Point]) -> float:
        length, cuts = overlap_and_cuts(points, routed)
        return 10_000 * crossings(points, obstacles) + length + 30 * cuts

    return min(candidates, key=cost)


def shares_end(flow: Flow, other: Flow) -> bool:
    return flow.source == other.source and (flow.boundary or "") == (other.boundary or "")


def column_left(container: Container, node: str) -> float:
    return container.col_x[container.rank[node]]


def column_right(container: Container, node: str) -> float:
    rank = container.rank[node]
    return container.col_x[rank] + container.col_w[rank]


def route(
    container: Container, flow: Flow, events: dict[str, Box], obstacles: list[Box], routed: list[Segment]
) -> list[Point]:
    s, t = container.box[flow.source], container.box[flow.target]
    kind_s, kind_t = container.kinds[flow.source], container.kinds[flow.target]
    others = [b for b in obstacles if b is not s and b is not t]
    if flow.boundary:
        e = events[flow.boundary]
        below = e.bottom + 15
        xm = column_left(container, flow.target) - COL_GAP / 2
        around = [
            [(e.cx, e.bottom), (e.cx, below), (x, below), (x, t.cy), (t.x, t.cy)]
            for x in (xm, xm - 15, xm + 15)
        ]
        direct = [(e.cx, e.bottom), (e.cx, t.cy), (t.x, t.cy)]
        candidates = around if t.cy < e.bottom + 5 else [direct, *around]
        return best(candidates, [b for b in others if b is not e], routed)
    if flow.id in container.back:  # back along the gap below the row, up into the target from below
        channel = max(container.band_bottom[flow.source], container.band_bottom[flow.target]) + CHANNEL
        under = [(s.cx, s.bottom), (s.cx, channel), (t.cx, channel), (t.cx, t.bottom)]
        gap_x = column_left(container, flow.target) - COL_GAP / 2
        below_t = container.band_bottom[flow.target] + CHANNEL / 2
        beside = [
            (s.cx, s.bottom),
            (s.cx, channel),
            (gap_x, channel),
            (gap_x, below_t),
            (t.cx, below_t),
            (t.cx, t.bottom),
        ]
        return best([under, beside], others, routed)
    if abs(s.cy - t.cy) < 1:
        return [(s.right, s.cy), (t.x, t.cy)]
    up = t.cy < s.cy
    candidates = []
    if kind_s in GATEWAYS:
        candidates.append([(s.cx, s.y if up else s.bottom), (s.cx, t.cy), (t.x, t.cy)])
    if kind_t in GATEWAYS:
        candidates.append([(s.right, s.cy), (t.cx, s.cy), (t.cx, t.bottom if up else t.y)])
    late = column_left(container, flow.target) - COL_GAP / 2
    early = column_right(container, flow.source) + COL_GAP / 2
    for x in (late, early, late - 15, early + 15):  # the gap's middle first, then beside a flow already there
        candidates.append([(s.right, s.cy), (x, s.cy), (x, t.cy), (t.x, t.cy)])
    return best(candidates, others, routed)


def edge_label(points: list[Point]) -> Box:
    """A flow's name where it cannot cover the target: left of a gateway's vertical, else above the start.

    bpmn-js centres an external label's text (wrapped at 90 px) on the middle of these bounds.
    """
    (x1, y1), (x2, _y2) = points[0], points[1]
    if abs(x1 - x2) < 1 and len(points) > 2:
        corner_x, corner_y = points[1]
        return Box(corner_x - 100, corner_y - 32, 94, 28)
    return Box(x1 + 6, y1 - 32, 94, 28)


def name_of(element: etree._Element) -> str:
    return (element.get("name") or "").strip()


# --- writing DI ----------------------------------------------------------------------------------


def add_bounds(parent: etree._Element, box: Box) -> None:
    etree.SubElement(
        parent, f"{{{DC}}}Bounds", x=fmt(box.x), y=fmt(box.y), width=fmt(box.w), height=fmt(box.h)
    )


def fmt(value: float) -> str:
    return str(round(value))


def add_shape(plane: etree._Element, element_id: str, box: Box, **attrs: str) -> etree._Element:
    shape = etree.SubElement(
        plane, f"{{{BPMNDI}}}BPMNShape", id=f"{element_id}_di", bpmnElement=element_id, **attrs
    )
    add_bounds(shape, box)
    return shape


def add_label(shape: etree._Element, box: Box) -> None:
    label = etree.SubElement(shape, f"{{{BPMNDI}}}BPMNLabel")
    add_bounds(label, box)


def write_container(
    plane: etree._Element, container: Container, inner: dict[str, Container], events: dict[str, Box]
) -> None:
    elements = {el.get("id"): el for el in container.element if isinstance(el.tag, str)}
    for node in container.nodes:
        box = container.box[node]
        kind = container.kinds[node]
        attrs = {"isExpanded": "true"} if kind == SUBPROCESS else {}
        if kind in GATEWAYS and kind == "exclusiveGateway":
            attrs["isMarkerVisible"] = "true"
        shape = add_shape(plane, node, box, **attrs)
        if name_of(elements[node]) and kind in EVENTS:
            add_label(shape, Box(box.cx - 50, box.bottom + 5, 100, 27))
        elif name_of(elements[node]) and kind in GATEWAYS:
            add_label(shape, Box(box.cx - 110, box.y - 34, 105, 27))
        if node in inner:
            write_container(plane, inner[node], inner, events)
    for events_of_host in container.boundaries.values():
        for event in events_of_host:
            box = events[event]
            shape = add_shape(plane, event, box)
            if name_of(elements[event]):
                add_label(shape, Box(box.x - 94, box.bottom - 8, 90, 27))
    obstacles = list(container.box.values()) + [events[e] for es in container.boundaries.values() for e in es]
    drawn: list[tuple[Flow, list[Segment]]] = []
    for flow in container.flows:
        # flows fanning out of one node may share a stretch: that is how BPMN draws a split
        routed = [seg for other, segs in drawn if not shares_end(flow, other) for seg in segs]
        points = route(container, flow, events, obstacles, routed)
        drawn.append((flow, segments(points)))
        edge = etree.SubElement(plane, f"{{{BPMNDI}}}BPMNEdge", id=f"{flow.id}_di", bpmnElement=flow.id)
        for x, y in points:
            etree.SubElement(edge, f"{{{DI}}}waypoint", x=fmt(x), y=fmt(y))
        if name_of(flow.element):
            add_label(edge, edge_label(points))


def layout_document(root: etree._Element) -> None:
    for old in root.findall(f"{{{BPMNDI}}}BPMNDiagram"):
        root.remove(old)
    process = root.xpath("bpmn:process[@isExecutable='true']", namespaces=NS)[0]
    participant = root.xpath(
        f"bpmn:collaboration/bpmn:participant[@processRef='{process.get('id')}']", namespaces=NS
    )
    container = read_container(process)
    inner: dict[str, Container] = {}
    layout_container(container, inner)
    events = boundary_boxes(container, inner)
    diagram = etree.SubElement(root, f"{{{BPMNDI}}}BPMNDiagram", id=f"{process.get('id')}_diagram")
    plane_owner = participant[0].getparent().get("id") if participant else process.get("id")
    plane = etree.SubElement(
        diagram, f"{{{BPMNDI}}}BPMNPlane", id=f"{process.get('id')}_plane", bpmnElement=plane_owner
    )
    right = container.width + POOL_LABEL + LANE_LABEL + 2 * MARGIN
    if participant:
        add_shape(plane, participant[0].get("id"), Box(0, 0, right, container.height), isHorizontal="true")
    for lane_id, _name in container.lanes:
        lane = container.lane_box[lane_id]
        add_shape(plane, lane_id, Box(POOL_LABEL, lane.y, right - POOL_LABEL, lane.h), isHorizontal="true")
    write_container(plane, container, inner, events)


def layout_file(path: Path) -> None:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_blank_text=True)
    tree = etree.parse(str(path), parser)
    layout_document(tree.getroot())
    etree.indent(tree, space="  ")
    tree.write(str(path), xml_declaration=True, encoding="UTF-8", pretty_print=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    for path in args.files:
        layout_file(path)
        print(f"laid out {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
