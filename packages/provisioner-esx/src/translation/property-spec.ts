import { element, fragments, moRef, text, typedElement, type MoRef, type XmlFragment } from './xml.ts';

/** Which properties of which type to collect (vim25 `PropertySpec`). */
export interface PropertySpec {
  type: string;
  pathSet: readonly string[];
}

/** A named step from one object to others (vim25 `TraversalSpec`), or a reference to a named one. */
export type SelectionSpec = { name?: string; type: string; path: string; skip?: boolean; selectSet?: readonly SelectionSpec[] } | { ref: string };

/** Where collection starts (vim25 `ObjectSpec`). */
export interface ObjectSpec {
  obj: MoRef;
  /** Leave the starting object itself out (it only anchors the traversal). */
  skip?: boolean;
  selectSet?: readonly SelectionSpec[];
}

/** What to collect (vim25 `PropertyFilterSpec`). */
export interface PropertyFilterSpec {
  propSet: readonly PropertySpec[];
  objectSet: readonly ObjectSpec[];
}

function selection(name: string, spec: SelectionSpec): XmlFragment {
  if ('ref' in spec) return typedElement(name, 'SelectionSpec', text('name', spec.ref));
  return typedElement(
    name,
    'TraversalSpec',
    text('name', spec.name),
    text('type', spec.type),
    text('path', spec.path),
    text('skip', spec.skip ?? false),
    ...(spec.selectSet ?? []).map((inner) => selection('selectSet', inner)),
  );
}

/** Serializes a filter spec as the element `name` (`specSet` or `spec`). */
export function propertyFilterSpec(name: string, spec: PropertyFilterSpec): XmlFragment {
  return element(
    name,
    ...spec.propSet.map((propSpec) => element('propSet', text('type', propSpec.type), ...propSpec.pathSet.map((path) => text('pathSet', path)))),
    ...spec.objectSet.map((objectSpec) =>
      element('objectSet', moRef('obj', objectSpec.obj), text('skip', objectSpec.skip ?? false), ...(objectSpec.selectSet ?? []).map((inner) => selection('selectSet', inner))),
    ),
  );
}

/** A filter spec for some properties of one object. */
export function propertiesOf(obj: MoRef, pathSet: readonly string[]): PropertyFilterSpec {
  return { propSet: [{ type: obj.type, pathSet }], objectSet: [{ obj }] };
}

/** A filter spec for properties of the objects a container view shows. */
export function viewContents(view: MoRef, type: string, pathSet: readonly string[]): PropertyFilterSpec {
  return {
    propSet: [{ type, pathSet }],
    objectSet: [{ obj: view, skip: true, selectSet: [{ type: 'ContainerView', path: 'view' }] }],
  };
}

/** A filter spec for properties of a folder's direct children of one type. */
export function folderChildren(folder: MoRef, type: string, pathSet: readonly string[]): PropertyFilterSpec {
  return {
    propSet: [{ type, pathSet }],
    objectSet: [{ obj: folder, skip: true, selectSet: [{ type: 'Folder', path: 'childEntity' }] }],
  };
}

/** Empty fragment, for optional parts. */
export const nothing: XmlFragment = fragments();
