--[[
assemble.lua: builds a document from the chapters that include.lua has
already resolved (one pandoc JSON file each, listed in the metadata field
chapter-json, with their HTML pages in chapter-pages).

  book-mode: index    the table of contents: every chapter's title and
                      sections, linked to the HTML pages
  book-mode: single   every chapter in one document (EPUB, PDF); links
                      between pages become links inside the document
]]

local function read_json(path)
  local f = assert(io.open(path, "rb"))
  local doc = pandoc.read(f:read("a"), "json")
  f:close()
  return doc
end

local function strings(list)
  local t = {}
  for _, v in ipairs(list or {}) do t[#t + 1] = pandoc.utils.stringify(v) end
  return t
end

local function index(docs, pages)
  local items = {}
  for i, doc in ipairs(docs) do
    local title, subs = nil, {}
    for _, b in ipairs(doc.blocks) do
      if b.t == "Header" and b.level == 1 and not title then
        title = pandoc.Link(b.content, pages[i], "", pandoc.Attr("", { "chapter" }))
      elseif b.t == "Header" and b.level == 2 then
        subs[#subs + 1] = { pandoc.Plain({ pandoc.Link(b.content, pages[i] .. "#" .. b.identifier) }) }
      end
    end
    -- the chapter's number is its file's (03-slug.html), whatever else exists
    local num = pages[i]:match("^0*(%d+)%-")
    local head = { title }
    if num then
      head = { pandoc.Span({ pandoc.Str(num) }, pandoc.Attr("", { "chapter-number" })), pandoc.Space(), title }
    end
    local item = { pandoc.Plain(head) }
    if #subs > 0 then item[#item + 1] = pandoc.BulletList(subs) end
    items[#items + 1] = item
  end
  if #items == 0 then
    return { pandoc.Para({ pandoc.Str("No chapter is written yet.") }) }
  end
  return { pandoc.Div({ pandoc.BulletList(items) }, pandoc.Attr("contents", { "contents" })) }
end

local function single(docs, pages)
  local first_id, blocks = {}, {}
  for i, doc in ipairs(docs) do
    for _, b in ipairs(doc.blocks) do
      if b.t == "Header" and b.level == 1 then first_id[pages[i]] = b.identifier break end
    end
  end
  local fix = {
    Link = function(el)
      local page, frag = el.target:match("^([^/#:]+%.html)#?(.*)$")
      if page and first_id[page] then
        el.target = "#" .. (frag ~= "" and frag or first_id[page])
        return el
      end
    end,
  }
  for _, doc in ipairs(docs) do
    local d = pandoc.walk_block(pandoc.Div(doc.blocks), fix)
    for _, b in ipairs(d.content) do blocks[#blocks + 1] = b end
  end
  return blocks
end

return {
  {
    Pandoc = function(doc)
      local files = strings(doc.meta["chapter-json"])
      local pages = strings(doc.meta["chapter-pages"])
      local docs = {}
      for i, f in ipairs(files) do docs[i] = read_json(f) end
      local mode = pandoc.utils.stringify(doc.meta["book-mode"] or "")
      if mode == "index" then
        doc.blocks = index(docs, pages)
      elseif mode == "single" then
        doc.blocks = single(docs, pages)
      else
        io.stderr:write("book: assemble.lua: book-mode must be index or single\n")
        os.exit(1)
      end
      doc.meta["chapter-json"] = nil
      doc.meta["chapter-pages"] = nil
      return doc
    end,
  },
}
